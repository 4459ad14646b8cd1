package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/ui"
)

// twoPis is an inventory of a server and an agent at 10.0.0.1 and .2.
const twoPis = "cluster:\n  k3s_version: v1.31.4+k3s1\nhosts:\n" +
	"  - {address: 10.0.0.1, role: server, hostname: pi-1}\n  - {address: 10.0.0.2, hostname: pi-2}\n"

// TestUpCommand runs `up` end to end on a fake fleet: what goes to stdout
// and stderr, the exit code, and that a dry run or a refusal changes nothing.
func TestUpCommand(t *testing.T) {
	// silent is a fleet of the fixtures at 10.0.0.1 and .2 whose probes print nothing.
	silent := func(t *testing.T, fixtures ...string) *testFleet {
		f := newFleet(t)
		for i, fx := range fixtures {
			f.host(fmt.Sprintf("10.0.0.%d", i+1), fx).Probe = fleettest.ProbeSilent
		}
		return f
	}
	fresh := func(t *testing.T) *testFleet {
		f := newFleet(t)
		f.host("10.0.0.1", "pi4-bookworm-arm64.txt")
		f.host("10.0.0.2", "pi4-bookworm-arm64.txt").Probe = fleettest.ProbeConnected
		return f.expects("10.0.0.2: probe")
	}
	tests := []struct {
		name   string
		fleet  func(t *testing.T) *testFleet
		args   []string
		code   int
		stderr []string // in order
	}{
		{"dry run on a fresh fleet", fresh, []string{"--dry-run"}, exitOK, []string{
			"==> connect and gather facts", "HOST  ROLE    PLANNED CHANGES",
			"pi-1  server  patch cmdline.txt, reboot, write config.yaml, install k3s (k3s not installed)",
			"pi-2  agent   patch cmdline.txt, reboot, write config.yaml, install k3s (k3s not installed)",
			"==> dry run: nothing was changed"}},
		{"dry run names the hostname to set", func(t *testing.T) *testFleet {
			f := newFleet(t)
			f.host("10.0.0.1", "pi4-bookworm-arm64.txt", "hostname=raspberrypi").Probe = fleettest.ProbeConnected
			f.host("10.0.0.2", "pi4-bookworm-arm64.txt").Probe = fleettest.ProbeConnected
			return f.expects("10.0.0.2: probe")
		}, []string{"--dry-run"}, exitOK, []string{"pi-1  server  set hostname pi-1, patch cmdline.txt"}},
		{"preflight only", fresh, []string{"--preflight-only"}, exitOK, []string{"==> preflight", "==> preflight: every check passed"}},
		{"a host runs k3s in another role", func(t *testing.T) *testFleet {
			return silent(t, "pi4-bookworm-arm64.txt", "pi4-k3s-server.txt")
		}, nil, exitRefused, []string{"pi-2  agent   pi-2  none", "==> 0 changes on 2 hosts",
			"error: preflight refused the run; nothing was changed:\n  pi-2: k3s runs here as server but the inventory says agent"}},
		{"preflight only lists the findings, naming the host once", func(t *testing.T) *testFleet {
			return silent(t, "pi4-bookworm-arm64.txt", "pi4-bookworm-arm64.txt")
		}, []string{"--preflight-only"}, exitOK, []string{"\n    pi-2: warning: network: could not check that pi-2 reaches pi-1:6443"}},
		{"a host cannot be reached", func(t *testing.T) *testFleet {
			return silent(t, "pi4-bookworm-arm64.txt")
		}, []string{"--dry-run"}, exitFailed, []string{"error: ", "10.0.0.2: connect 10.0.0.2:22: no route to host"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io := newTestIO("", false)
			fleet := runChecked(t, tt.fleet, io, "up", tt.args, tt.code, tt.stderr)
			wantNoStdout(t, io)
			fleet.wantChanged(t, "")
		})
	}
}

// wantInOrder fails unless every one of want is in s, in that order.
func wantInOrder(t *testing.T, s string, want ...string) {
	t.Helper()
	rest := s
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("output lacks %q (in this order):\n%s", w, s)
			return
		}
		rest = rest[i+len(w):]
	}
}

// TestHostKeyFlagsReachTheDialer: the global host key flags and the
// inventory (with its overrides) are what every command dials with.
func TestHostKeyFlagsReachTheDialer(t *testing.T) {
	modes := []struct {
		flag string
		set  func(*globalOptions) bool
	}{
		{"--accept-new-host-keys", func(g *globalOptions) bool { return g.AcceptNewHostKeys && !g.InsecureHostKeys }},
		{"--insecure-ignore-host-keys", func(g *globalOptions) bool { return g.InsecureHostKeys && !g.AcceptNewHostKeys }},
	}
	for _, args := range [][]string{{"up"}, {"doctor"}, {"kubeconfig"}, {"reset", "--yes"}, {"add-node", "--host", "pi-2"}} {
		for _, m := range modes {
			t.Run(args[0]+m.flag, func(t *testing.T) {
				var got *globalOptions
				var user string
				hosts := newFleet(t)
				dial := func(inv *inventory.Inventory, g *globalOptions, p *ui.Printer) fleet.Dialer {
					got, user = g, inv.SSH.User
					return hosts.dial(inv, g, p)
				}
				t.Setenv("K3SUP_PI_USER", "ubuntu")
				io := newTestIO("", false)
				argv := append(slices.Clone(args), "-i", writeInventory(t, twoPis), m.flag)
				run(context.Background(), argv, &factory{IO: io.ioStreams, Dial: dial})
				if got == nil || !m.set(got) || user != "ubuntu" {
					t.Errorf("dialer got %+v, user %q\n%s", got, user, io.err)
				}
			})
		}
	}
}
