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
	Add("shrt")
	tests := []struct {
		name, in, want string
	}{
		{"token", "token is K10abcdef::server:s3cr3t-token.", "token is ***."},
		{"inner secret alone", "pw s3cr3t-token", "pw ***"},
		{"trimmed password", "sudo: hunter2pw rejected", "sudo: *** rejected"},
		{"short secret as a word", "shrt words go", "*** words go"},
		{"short secret inside a word", "shrtly, pi-shrt and shrt.lan stay", "shrtly, pi-shrt and shrt.lan stay"},
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

// TestShortSecrets: a secret under MinLen characters is masked where it stands
// as a word (how a leaked password appears), never inside host names, users or
// numbers that merely contain it.
func TestShortSecrets(t *testing.T) {
	Add("pw1")
	Add(" 42 \n")
	Add("a:b")
	Add("   ")
	tests := []struct{ name, in, want string }{
		{"a line of its own", "pw1\nhosts: pi-1\n", "***\nhosts: pi-1\n"},
		{"command not found", "bash: line 1: pw1: command not found", "bash: line 1: ***: command not found"},
		{"quoted", `sudo said "pw1"`, `sudo said "***"`},
		{"in a URL", "postgres://u:pw1@db/k3s", "postgres://u:***@db/k3s"},
		{"end of text", "password was pw1", "password was ***"},
		{"inside words", "pw12 xpw1 pw1-x pw1.lan x_pw1", "pw12 xpw1 pw1-x pw1.lan x_pw1"},
		{"numbers", "port 42, 10.0.0.42, 4242 and 42", "port ***, 10.0.0.42, 4242 and ***"},
		{"with punctuation inside", "a:b and xa:b", "*** and xa:b"},
		{"blank secret not registered", "   spaces   stay ", "   spaces   stay "},
		{"non-ASCII neighbours", "äpw1 pw1ü (pw1)", "äpw1 pw1ü (***)"},
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
}
