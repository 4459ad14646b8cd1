package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/redact"
)

func TestPrinterRedactsAndStaysPlain(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf)
	redact.Add("s3cret-token-value")
	p.Hostf("pi-1", "joined with %s", "s3cret-token-value")
	p.Warnf("slow card")
	p.Table([][]string{{"HOST", "CHANGES"}, {"pi-1", "none"}, {"pi-long-name", "installed k3s"}})
	out := buf.String()
	if strings.Contains(out, "s3cret") {
		t.Errorf("secret leaked: %q", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour codes off a terminal: %q", out)
	}
	for _, want := range []string{"pi-1: joined with ***", "warning: slow card", "pi-long-name  installed k3s"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
