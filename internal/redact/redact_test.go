package redact

import (
	"errors"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	Add("K10abcdef::server:s3cr3t-token")
	Add("s3cr3t-token")
	Add("  hunter2pw\n")
	Add("short")
	tests := []struct {
		name, in, want string
	}{
		{"token", "token is K10abcdef::server:s3cr3t-token.", "token is ***."},
		{"inner secret alone", "pw s3cr3t-token", "pw ***"},
		{"trimmed password", "sudo: hunter2pw rejected", "sudo: *** rejected"},
		{"short not registered", "short words stay", "short words stay"},
		{"twice", "hunter2pw hunter2pw", "*** ***"},
		{"nothing", "plain text", "plain text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := string(Bytes([]byte(tt.in))); got != tt.want {
				t.Errorf("Bytes(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := Error(errors.New("bad hunter2pw")); got != "bad ***" {
		t.Errorf("Error = %q", got)
	}
	if got := Error(nil); got != "" {
		t.Errorf("Error(nil) = %q", got)
	}
}

func TestWriterSplitSecret(t *testing.T) {
	Add("writer-secret-42")
	var sb strings.Builder
	w := NewWriter(&sb)
	chunks := []string{"line one writer-se", "cret-42 end\nsecond ", "writer-secret-42"}
	for _, c := range chunks {
		if n, err := w.Write([]byte(c)); err != nil || n != len(c) {
			t.Fatalf("Write(%q) = %d, %v", c, n, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "line one *** end\nsecond ***"
	if sb.String() != want {
		t.Errorf("got %q, want %q", sb.String(), want)
	}
}
