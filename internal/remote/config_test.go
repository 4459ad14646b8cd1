package remote

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
	"github.com/kevinburke/ssh_config"
	"golang.org/x/crypto/ssh/knownhosts"
)

const testSSHConfig = `
Host pi-01
  HostName 10.0.0.11
  User pi
  Port 2201
  IdentityFile ~/.ssh/pi_key
  IdentitiesOnly yes
  ProxyJump bastion

Host bastion
  HostName 203.0.113.5
  User jump
  Port 2222

Host *
  User fallback
`

func TestResolve(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	cfg, err := ssh_config.Decode(strings.NewReader(testSSHConfig))
	if err != nil {
		t.Fatal(err)
	}
	c := sshConfig{cfg: cfg}
	type hp struct {
		host string
		port int
		user string
	}
	tests := []struct {
		name     string
		target   Target
		want     hp
		keys     []string
		idOnly   bool
		wantJump []hp
	}{
		{"alias from file", Target{Alias: "pi-01"}, hp{"10.0.0.11", 2201, "pi"},
			[]string{filepath.Join(home, ".ssh/pi_key")}, true, []hp{{"203.0.113.5", 2222, "jump"}}},
		{"inventory wins", Target{Alias: "pi-01", Port: 22, User: "admin", KeyFiles: []string{"~/k"}, ProxyJump: "ops@[2001:db8::1]:2022,gw"},
			hp{"10.0.0.11", 22, "admin"}, []string{filepath.Join(home, "k")}, true,
			[]hp{{"2001:db8::1", 2022, "ops"}, {"gw", 22, "fallback"}}},
		{"jump none", Target{Alias: "pi-01", ProxyJump: "none"}, hp{"10.0.0.11", 2201, "pi"},
			[]string{filepath.Join(home, ".ssh/pi_key")}, true, nil},
		{"plain address", Target{Alias: "192.168.1.20"}, hp{"192.168.1.20", 22, "fallback"}, nil, false, nil},
		{"ipv6 address", Target{Alias: "fe80::1", Port: 2200}, hp{"fe80::1", 2200, "fallback"}, nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, err := resolve(tt.target, c)
			if err != nil {
				t.Fatal(err)
			}
			if got := (hp{ep.host, ep.port, ep.user}); got != tt.want {
				t.Errorf("endpoint = %+v, want %+v", got, tt.want)
			}
			if !reflect.DeepEqual(ep.keyFiles, tt.keys) || ep.identitiesOnly != tt.idOnly {
				t.Errorf("keys = %v only=%v, want %v only=%v", ep.keyFiles, ep.identitiesOnly, tt.keys, tt.idOnly)
			}
			var jumps []hp
			for _, j := range ep.jumps {
				jumps = append(jumps, hp{j.host, j.port, j.user})
			}
			if !reflect.DeepEqual(jumps, tt.wantJump) {
				t.Errorf("jumps = %+v, want %+v", jumps, tt.wantJump)
			}
		})
	}
}

func TestParseJumpErrors(t *testing.T) {
	for _, spec := range []string{"host:notaport", "[::1", "user@"} {
		if _, err := parseJump(spec, sshConfig{}); err == nil {
			t.Errorf("parseJump(%q) succeeded", spec)
		}
	}
}

func TestDialThroughSSHConfigAlias(t *testing.T) {
	e := newEnv(t)
	s := e.server(sshtest.Config{})
	cfgFile := filepath.Join(e.home, ".ssh", "config")
	body := fmt.Sprintf("Host pi-01\n  HostName %s\n  Port %d\n  User admin\n", s.Host(), s.Port())
	if err := os.WriteFile(cfgFile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	o := e.opts()
	o.SSHConfigFile = ""
	o.AcceptNewHostKeys = true
	c := e.dial(Target{Alias: "pi-01"}, o)
	if c.Name() != "pi-01" || c.User() != "admin" {
		t.Errorf("name %q user %q", c.Name(), c.User())
	}
	// recorded where OpenSSH looks for it: under the HostName, not the alias
	want := knownhosts.Line([]string{fmt.Sprintf("[%s]:%d", s.Host(), s.Port())}, s.HostKey()) + "\n"
	if got := e.readKnown(); got != want {
		t.Errorf("known_hosts = %q, want %q", got, want)
	}
	c2 := e.dial(Target{Alias: "pi-01", User: "ops"}, e.withConfig(""))
	if _, err := c2.Run(ctxT(t), Cmd{Script: "true"}); err != nil {
		t.Fatal(err)
	}
	users := s.Users()
	sort.Strings(users)
	if len(users) != 2 || users[0] != "admin" || users[1] != "ops" {
		t.Errorf("server saw users %v, want [admin ops]", users)
	}
}

// TestHostNameKnownEntryAccepted: a key OpenSSH recorded under the
// HostName of an alias is honoured.
func TestHostNameKnownEntryAccepted(t *testing.T) {
	e := newEnv(t)
	s := e.server(sshtest.Config{})
	e.trust(s)
	body := fmt.Sprintf("Host pi-02\n  HostName %s\n  Port %d\n", s.Host(), s.Port())
	if err := os.WriteFile(filepath.Join(e.home, ".ssh", "config"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	e.dial(Target{Alias: "pi-02"}, e.withConfig(""))
}

func (e *env) withConfig(file string) Options {
	o := e.opts()
	o.SSHConfigFile = file
	return o
}

func TestResolveDefaultUserAndBastionKeys(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	cfg, err := ssh_config.Decode(strings.NewReader("Host pi-02\n  User ubuntu\n  Port 2202\n\nHost keyed-bastion\n  IdentityFile ~/.ssh/bastion_key\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := sshConfig{cfg: cfg, defaultUser: "pi"}
	tests := []struct {
		name     string
		target   Target
		user     string
		port     int
		jumpKeys []string
	}{
		{"ssh_config user and port beat the default", Target{Alias: "pi-02"}, "ubuntu", 2202, nil},
		{"the inventory beats ssh_config", Target{Alias: "pi-02", User: "admin", Port: 22}, "admin", 22, nil},
		{"the default when nothing names one", Target{Alias: "10.0.0.9"}, "pi", 22, nil},
		{"a bastion without keys gets the host's", Target{Alias: "10.0.0.9", KeyFiles: []string{"/k/id"}, ProxyJump: "10.0.0.1"}, "pi", 22, []string{"/k/id"}},
		{"a bastion with its own IdentityFile keeps it", Target{Alias: "10.0.0.9", KeyFiles: []string{"/k/id"}, ProxyJump: "keyed-bastion"},
			"pi", 22, []string{filepath.Join(home, ".ssh/bastion_key")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, err := resolve(tt.target, c)
			if err != nil {
				t.Fatal(err)
			}
			if ep.user != tt.user || ep.port != tt.port {
				t.Errorf("user %q port %d, want %q %d", ep.user, ep.port, tt.user, tt.port)
			}
			var keys []string
			for _, j := range ep.jumps {
				keys = append(keys, j.keyFiles...)
			}
			if !reflect.DeepEqual(keys, tt.jumpKeys) {
				t.Errorf("jump keys = %v, want %v", keys, tt.jumpKeys)
			}
		})
	}
}
