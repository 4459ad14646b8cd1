package preflight

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

func TestClassifyProbe(t *testing.T) {
	tests := []struct {
		name    string
		code    int
		out     string
		want    ReachOutcome
		connect bool
	}{
		{"http answer", 0, " TC=0.001", ReachOK, true},
		{"http error status", 22, "curl: (22) The requested URL returned error: 401 TC=0.002", ReachOK, true},
		{"tls error", 35, "curl: (35) error:0A00010B:SSL routines::wrong version number TC=0.001", ReachOK, true},
		{"bad certificate", 60, "curl: (60) SSL certificate problem TC=0.001", ReachOK, true},
		{"refused", 7, "curl: (7) Failed to connect to 10.0.0.1 port 6443 after 0 ms: Couldn't connect to server TC=0.000000", ReachOK, false},
		{"dropped", 28, "curl: (28) Connection timed out after 3001 milliseconds TC=0.000000", ReachBlocked, false},
		{"slow TLS after connect", 28, "curl: (28) Operation timed out after 6000 milliseconds with 0 bytes received TC=0.003", ReachOK, true},
		{"no TC at all", 28, "curl: (28) Connection timed out", ReachBlocked, false},
		{"no such name", 6, "curl: (6) Could not resolve host: pi-srv TC=0.000000", ReachNoResolve, false},
		{"no curl", 127, "sh: curl: not found", ReachUnknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := classifyProbe(tt.code, tt.out)
			if p.Outcome != tt.want || p.Connected != tt.connect {
				t.Errorf("classifyProbe(%d, %q) = outcome %d connected %v, want %d %v", tt.code, tt.out, p.Outcome, p.Connected, tt.want, tt.connect)
			}
			if strings.Contains(p.Msg, "TC=") {
				t.Errorf("message keeps the connect time: %q", p.Msg)
			}
		})
	}
}

func TestParseProbes(t *testing.T) {
	ts := []ReachTarget{{Name: "pi-srv", Host: "10.0.0.1", Port: "6443"}, {Name: "pi-srv2", Host: "10.0.0.2", Port: "6443"}, {Name: "pi-srv3", Host: "10.0.0.3", Port: "6443"}}
	out := "1\t28\tcurl: (28) Connection timed out TC=0.000000\n0\t7\t TC=0.000000\ngarbage\n9\t0\t TC=0.1\n"
	got := ParseProbes(out, ts)
	want := []ReachOutcome{ReachOK, ReachBlocked, ReachUnknown}
	for i, w := range want {
		if got[i].Outcome != w || got[i].Target != ts[i] {
			t.Errorf("target %d: outcome %d target %+v, want %d %+v", i, got[i].Outcome, got[i].Target, w, ts[i])
		}
	}
}

func TestReachFinding(t *testing.T) {
	srv := ReachTarget{Name: "pi-srv", Host: "10.0.0.1", Port: "6443"}
	ep := ReachTarget{Name: "the API endpoint", Host: "10.0.0.100", Port: "6443", Endpoint: true}
	tests := []struct {
		name   string
		role   string
		probe  ProbeResult
		ok     bool
		sev    Severity
		substr []string
	}{
		{"reached", "agent", ProbeResult{Outcome: ReachOK, Target: srv}, false, 0, nil},
		{"agent blocked", "agent", ProbeResult{Outcome: ReachBlocked, Detail: "connection timed out", Target: srv}, true, Error,
			[]string{"pi-a2: error: network: pi-a2 cannot reach pi-srv:6443 (connection timed out)", "open 6443/tcp from the agents to the servers"}},
		{"server blocked", "server", ProbeResult{Outcome: ReachBlocked, Detail: "connection timed out", Target: srv}, true, Error,
			[]string{"cannot reach pi-srv:6443", "between the servers"}},
		{"no name", "agent", ProbeResult{Outcome: ReachNoResolve, Detail: "the name does not resolve", Target: srv}, true, Error,
			[]string{"make \"10.0.0.1\" resolve"}},
		{"endpoint blocked warns", "agent", ProbeResult{Outcome: ReachBlocked, Detail: "connection timed out", Target: ep}, true, Warning,
			[]string{"the API endpoint 10.0.0.100:6443", "virtual IP"}},
		{"unknown warns", "agent", ProbeResult{Outcome: ReachUnknown, Detail: "curl is not installed on this host", Target: srv}, true, Warning,
			[]string{"could not check that pi-a2 reaches pi-srv:6443: curl is not installed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := reachFinding("pi-a2", role.Role(tt.role), tt.probe)
			if ok != tt.ok {
				t.Fatalf("finding %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if f.Severity != tt.sev {
				t.Errorf("severity %s, want %s", f.Severity, tt.sev)
			}
			for _, s := range tt.substr {
				if !strings.Contains(f.String(), s) {
					t.Errorf("%q lacks %q", f.String(), s)
				}
			}
		})
	}
}

// TestProbeScriptUnderShells runs probe.sh under sh and dash with a stub curl
// that answers by target address: .1 listens, .2 refuses, .3 drops.
func TestProbeScriptUnderShells(t *testing.T) {
	bin := t.TempDir()
	curl := `#!/bin/sh
for a; do url=$a; done
case $url in
*10.0.0.1:*) printf ' TC=0.001000'; exit 0 ;;
*10.0.0.2:*) echo "curl: (7) Failed to connect: Couldn't connect to server" >&2; printf ' TC=0.000000'; exit 7 ;;
*) echo "curl: (28) Connection timed out after 3000 milliseconds" >&2; printf ' TC=0.000000'; exit 28 ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "curl"), []byte(curl), 0o755); err != nil {
		t.Fatal(err)
	}
	ts := []ReachTarget{{Name: "s1", Host: "10.0.0.1", Port: "6443"}, {Name: "s2", Host: "10.0.0.2", Port: "6443"}, {Name: "s3", Host: "10.0.0.3", Port: "6443"}}
	for _, shell := range []string{"sh", "dash"} {
		for _, path := range []string{bin + ":" + os.Getenv("PATH"), t.TempDir()} {
			c := &fleettest.Local{Shell: shell, PATH: path}
			res, err := c.Run(context.Background(), ProbeScript(ts))
			if err != nil {
				t.Fatalf("%s: %v", shell, err)
			}
			got := ParseProbes(string(res.Stdout), ts)
			want := []ReachOutcome{ReachOK, ReachOK, ReachBlocked}
			if path != bin+":"+os.Getenv("PATH") { // no curl on the host
				if string(res.Stdout) != "curl-missing\n" {
					t.Errorf("%s without curl printed %q", shell, res.Stdout)
				}
				continue
			}
			for i := range ts {
				if got[i].Outcome != want[i] {
					t.Errorf("%s: %s: outcome %d (%s), want %d", shell, ts[i].Host, got[i].Outcome, got[i].Detail, want[i])
				}
			}
			if !got[0].Connected || got[1].Connected {
				t.Errorf("%s: connected = %v %v", shell, got[0].Connected, got[1].Connected)
			}
		}
	}
}
