package fleettest

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// lockCmd is a call of the real lock script (internal/lock/lock.sh) for run id.
func lockCmd(t *testing.T, action, id string) remote.Cmd {
	b, err := os.ReadFile("../lock/lock.sh")
	if err != nil {
		t.Fatal(err)
	}
	return remote.Script(string(b), action, "/var/lib", "/run", "/proc", id, "600", "720", "-", "ann@laptop", "m", "1", "up", "0")
}

// TestRunLock: the host grants its lock to one run at a time, never counts
// it as a change, and refuses a second run while the first holds it.
func TestRunLock(t *testing.T) {
	f := New(t)
	h := f.Add("10.0.0.1", Fixture(t, "pi4-bookworm-arm64.txt"))
	steps := []struct {
		action, id, want string
		holder           string
		err              bool
	}{
		{"probe", "run1", "status=free\n", "", false},
		{"acquire", "run1", "status=acquired\n", "run1", false},
		{"acquire", "run2", "", "run1", true},
		{"renew", "run1", "status=renewed\n", "run1", false},
		{"release", "run1", "status=released\n", "", false},
		{"acquire", "run2", "status=acquired\n", "run2", false},
	}
	for _, s := range steps {
		res, err := h.Run(context.Background(), lockCmd(t, s.action, s.id))
		if (err != nil) != s.err || string(res.Stdout) != s.want || h.Lease() != s.holder {
			t.Errorf("%s by %s: %q, %v, holder %q; want %q, error %v, holder %q", s.action, s.id, res.Stdout, err, h.Lease(), s.want, s.err, s.holder)
		}
	}
	if c := f.ChangedHosts(); len(c) != 0 {
		t.Errorf("the lock changed hosts %v", c)
	}
}

// TestProbeAnswers: each Probe setting answers probe.sh as documented.
func TestProbeAnswers(t *testing.T) {
	tests := []struct {
		probe Probe
		want  string // in every line, "" for no output
	}{
		{ProbeRefused, "Connection refused"},
		{ProbeConnected, "\t0\t"},
		{ProbeSilent, ""},
	}
	for _, tt := range tests {
		f := New(t)
		h := f.Add("10.0.0.2", Fixture(t, "pi4-bookworm-arm64.txt"))
		h.Probe = tt.probe
		res, err := h.Run(context.Background(), preflight.ProbeScript([]preflight.ReachTarget{{Name: "s1", Host: "10.0.0.1", Port: "6443"}}))
		out := string(res.Stdout)
		if err != nil || (tt.want == "") != (out == "") || !strings.Contains(out, tt.want) || !f.Ran("10.0.0.2: probe") {
			t.Errorf("probe %d: %q, %v", tt.probe, out, err)
		}
	}
}
