package ui

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/redact"
)

func TestPrinterRedactsAndStaysPlain(t *testing.T) {
	var buf bytes.Buffer
	p := NewFor(&buf, false)
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

// TestNewForColour: colour only where the caller says there is a terminal,
// and never with NO_COLOR set.
func TestNewForColour(t *testing.T) {
	tests := []struct {
		name     string
		terminal bool
		noColor  bool
		want     bool
	}{
		{"terminal", true, false, true},
		{"terminal with NO_COLOR", true, true, false},
		{"no terminal", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.noColor {
				t.Setenv("NO_COLOR", "1")
			} else {
				t.Setenv("NO_COLOR", "")
				os.Unsetenv("NO_COLOR")
			}
			var buf bytes.Buffer
			NewFor(&buf, tt.terminal).Warnf("slow card")
			if got := strings.Contains(buf.String(), "\x1b["); got != tt.want {
				t.Errorf("colour = %v, want %v: %q", got, tt.want, buf.String())
			}
		})
	}
}
