package remote

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestKnownHostsName(t *testing.T) {
	tests := []struct {
		host string
		port int
		want string
	}{
		{"pi-01", 22, "pi-01"},
		{"pi-01", 2222, "[pi-01]:2222"},
		{"::1", 22, "::1"},
		{"::1", 2222, "[::1]:2222"},
	}
	for _, tt := range tests {
		if got := knownHostsName(tt.host, tt.port); got != tt.want {
			t.Errorf("knownHostsName(%q, %d) = %q, want %q", tt.host, tt.port, got, tt.want)
		}
	}
}

func TestHostKeyRefused(t *testing.T) {
	other := sshtest.NewKey(t).PublicKey()
	tests := []struct {
		name     string
		known    func(e *env, s *sshtest.Server) // prepares known_hosts
		accept   bool
		kind     HostKeyKind
		line     int
		contains func(e *env, s *sshtest.Server) []string
	}{
		{
			name:  "unknown, no file",
			known: func(*env, *sshtest.Server) {},
			kind:  HostKeyUnknown,
			contains: func(e *env, s *sshtest.Server) []string {
				return []string{ssh.FingerprintSHA256(s.HostKey()), "--accept-new-host-keys",
					fmt.Sprintf("ssh-keyscan -p %d %s >> %s", s.Port(), s.Host(), e.known)}
			},
		},
		{
			name: "changed, even with accept-new",
			known: func(e *env, s *sshtest.Server) {
				e.appendKnown("# fleet")
				e.appendKnown(knownhosts.Line([]string{"pi-99"}, other))
				e.appendKnown(knownhosts.Line([]string{knownHostsName(s.Host(), s.Port())}, other))
			},
			accept: true,
			kind:   HostKeyChanged,
			line:   3,
			contains: func(e *env, s *sshtest.Server) []string {
				return []string{ssh.FingerprintSHA256(s.HostKey()), fmt.Sprintf("Remove line 3 of %s", e.known)}
			},
		},
		{
			name: "revoked",
			known: func(e *env, s *sshtest.Server) {
				e.appendKnown("@revoked * " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostKey()))))
			},
			accept: true,
			kind:   HostKeyRevoked,
			line:   1,
			contains: func(e *env, s *sshtest.Server) []string {
				return []string{"revoked", ssh.FingerprintSHA256(s.HostKey())}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.server(sshtest.Config{})
			tt.known(e, s)
			before := e.readKnown()
			o := e.opts()
			o.AcceptNewHostKeys = tt.accept
			_, err := Dial(ctxT(t), target(s), o)
			var hk *HostKeyError
			if !errors.As(err, &hk) {
				t.Fatalf("Dial error = %v, want *HostKeyError", err)
			}
			if hk.Kind != tt.kind || hk.Line != tt.line {
				t.Errorf("kind %v line %d, want %v line %d", hk.Kind, hk.Line, tt.kind, tt.line)
			}
			if hk.Fingerprint != ssh.FingerprintSHA256(s.HostKey()) {
				t.Errorf("fingerprint %s", hk.Fingerprint)
			}
			mustContain(t, err.Error(), tt.contains(e, s)...)
			if !IsPermanent(err) {
				t.Error("a host key error must be permanent: no wait retries it")
			}
			if after := e.readKnown(); after != before {
				t.Errorf("known_hosts changed:\n%s", after)
			}
			if len(s.Users()) != 0 {
				t.Errorf("authenticated despite refused key: %v", s.Users())
			}
		})
	}
}

func TestAcceptNewThenStrict(t *testing.T) {
	tests := []struct {
		name, listen string
	}{
		{"ipv4", "127.0.0.1:0"},
		{"ipv6", "[::1]:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.server(sshtest.Config{Addr: tt.listen})
			o := e.opts()
			o.AcceptNewHostKeys = true
			var warned []string
			o.Warn = func(m string) { warned = append(warned, m) }
			c := e.dial(target(s), o)
			if _, err := c.Run(ctxT(t), Cmd{Script: "true"}); err != nil {
				t.Fatal(err)
			}
			want := knownhosts.Line([]string{fmt.Sprintf("[%s]:%d", s.Host(), s.Port())}, s.HostKey()) + "\n"
			if got := e.readKnown(); got != want {
				t.Errorf("known_hosts = %q, want %q", got, want)
			}
			e.dial(target(s), e.opts()) // strict now: must pass without accept-new
			impostor := e.server(sshtest.Config{Addr: s.Addr()[:strings.LastIndex(s.Addr(), ":")] + ":0"})
			tg := target(s)
			tg.Port = impostor.Port()
			e.appendKnown(knownhosts.Line([]string{knownHostsName(s.Host(), impostor.Port())}, s.HostKey()))
			_, err := Dial(ctxT(t), tg, o)
			var hk *HostKeyError
			if !errors.As(err, &hk) || hk.Kind != HostKeyChanged || hk.Line != 2 {
				t.Fatalf("impostor: err = %v, want changed at line 2", err)
			}
			if len(warned) != 0 {
				t.Errorf("unexpected warnings %v", warned)
			}
		})
	}
}

func TestInsecureIgnoreHostKeysWarns(t *testing.T) {
	e := newEnv(t)
	s := e.server(sshtest.Config{})
	o := e.opts()
	o.InsecureIgnoreHostKeys = true
	var warned []string
	o.Warn = func(m string) { warned = append(warned, m) }
	e.dial(target(s), o)
	if len(warned) != 1 || !strings.Contains(warned[0], "host key checking is OFF") {
		t.Errorf("warnings = %q", warned)
	}
	if e.readKnown() != "" {
		t.Error("insecure mode wrote known_hosts")
	}
}
