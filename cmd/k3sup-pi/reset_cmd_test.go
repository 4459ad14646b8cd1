package main

import (
	"os"
	"strings"
	"testing"
)

// installedPair is a server (pi-1) and an agent (pi-2) with k3s installed,
// each with its uninstall script and pi-1 with leftovers.
func installedPair(t *testing.T) *testFleet {
	f := newFleet(t)
	s := f.host("10.0.0.1", "pi4-k3s-server.txt")
	for _, p := range []string{"/usr/local/bin/k3s-uninstall.sh", "/var/lib/k3sup-pi", "/etc/rancher/k3s"} {
		s.SetFile(p, nil)
	}
	f.host("10.0.0.2", "pi4-k3s-server.txt", "k3s_role=agent").SetFile("/usr/local/bin/k3s-agent-uninstall.sh", nil)
	return f.expects("10.0.0.1: reset probe", "10.0.0.2: reset probe")
}

// TestResetCommand runs `reset` end to end on a fake fleet with a fake
// terminal (or none): the question, the refusal without one, and what runs.
func TestResetCommand(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	clean := func(t *testing.T) *testFleet {
		f := newFleet(t)
		f.host("10.0.0.1", "pi4-bookworm-arm64.txt")
		f.host("10.0.0.2", "pi4-bookworm-arm64.txt")
		return f
	}
	tests := []struct {
		name    string
		fleet   func(t *testing.T) *testFleet // nil: no host may be dialled
		args    []string
		stdin   string
		tty     bool
		code    int
		stderr  []string
		changed string // the hosts that ran a changing command
	}{
		{"asked on a terminal, yes", installedPair, nil, "y\n", true, exitOK, []string{"Reset 2 hosts (pi-2, pi-1)? [y/N] ",
			"==> reset agents", "HOST  ROLE    NODE  DONE", "pi-2  agent   pi-2  ran k3s-agent-uninstall.sh",
			"pi-1  server  pi-1  ran k3s-uninstall.sh; removed /var/lib/k3sup-pi; removed empty /etc/rancher",
			"==> 2 of 2 hosts changed", "==> local files (the kubeconfig) were left alone"}, "10.0.0.1 10.0.0.2"},
		{"asked on a terminal, no", installedPair, nil, "n\n", true, exitFailed,
			[]string{"Reset 2 hosts (pi-2, pi-1)? [y/N] ", "error: reset: not confirmed; nothing was changed"}, ""},
		{"no terminal, no --yes", nil, nil, "y\n", false, exitBadInput,
			[]string{"error: reset: no terminal to confirm on; pass --yes to reset without asking"}, ""},
		{"no terminal, --yes", installedPair, []string{"--yes"}, "", false, exitOK, []string{"==> 2 of 2 hosts changed"}, "10.0.0.1 10.0.0.2"},
		{"dry run asks nothing", installedPair, []string{"--dry-run"}, "", false, exitOK, []string{"HOST  ROLE    NODE  WOULD DO",
			"pi-2  agent   pi-2  run k3s-agent-uninstall.sh", "==> dry run: 2 of 2 hosts would change; nothing was changed"}, ""},
		{"clean hosts", clean, []string{"--yes"}, "", false, exitOK, []string{"pi-1  server  pi-1  already clean", "==> 0 of 2 hosts changed"}, ""},
		{"only one host, drained and deleted", func(t *testing.T) *testFleet {
			f := newFleet(t)
			f.host("10.0.0.1", "pi4-k3s-server.txt")
			f.host("10.0.0.2", "pi4-k3s-server.txt", "k3s_role=agent").SetFile("/usr/local/bin/k3s-agent-uninstall.sh", nil)
			f.AddNode("pi-1", "v1.31.4+k3s1")
			f.AddNode("pi-2", "v1.31.4+k3s1")
			return f.expects("10.0.0.2: reset probe", "10.0.0.1: kubectl get nodes -o json",
				"10.0.0.1: kubectl get secrets -n kube-system -o name")
		}, []string{"--yes", "--host", "pi-2"}, "", false, exitOK,
			[]string{"pi-2  agent  pi-2  drained node pi-2; ran k3s-agent-uninstall.sh; deleted node pi-2; deleted secret kube-system/pi-2.node-password.k3s", "==> 1 of 1 hosts changed"}, "10.0.0.1 10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io := newTestIO(tt.stdin, tt.tty)
			fleet := runChecked(t, tt.fleet, io, "reset", tt.args, tt.code, tt.stderr)
			wantNoStdout(t, io)
			if fleet != nil {
				fleet.wantChanged(t, tt.changed)
			}
		})
	}
}

// TestColourOnlyOnATerminal: progress is coloured when stderr is a terminal,
// never with NO_COLOR, and never off a terminal.
func TestColourOnlyOnATerminal(t *testing.T) {
	tests := []struct {
		name          string
		tty, noColour bool
		want          bool
	}{
		{"terminal", true, false, true},
		{"terminal, NO_COLOR", true, true, false},
		{"no terminal", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", "1")
			if !tt.noColour {
				os.Unsetenv("NO_COLOR")
			}
			io := newTestIO("", tt.tty)
			if code := runWith(t, io, installedPair(t), "reset", "--dry-run", "-i", writeInventory(t, twoPis)); code != exitOK {
				t.Fatalf("exit %d:\n%s", code, io.err)
			}
			if got := strings.Contains(io.err.String(), "\x1b["); got != tt.want {
				t.Errorf("coloured = %v, want %v:\n%q", got, tt.want, io.err)
			}
		})
	}
}
