package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/lock"
)

// TestLocalLockRefuses: while another run holds the inventory, up, add-node
// and reset are refused with exit 3 naming the holder, before any host is
// contacted; the read-only runs (--dry-run, --preflight-only, doctor,
// kubeconfig) take no lock.
func TestLocalLockRefuses(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yml")
	// Port 1 on loopback refuses at once: a run that gets past the lock fails to connect.
	content := "cluster:\n  name: pis\nssh:\n  known_hosts: " + filepath.Join(dir, "known_hosts") +
		"\nhosts:\n  - address: 127.0.0.1\n    port: 1\n    role: server\n    hostname: pi-1\n"
	if err := os.WriteFile(inv, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	holder := lock.NewHolder("up")
	l, err := lock.LockInventory(context.Background(), inv, holder, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	tests := []struct {
		args   []string
		locked bool
	}{
		{[]string{"up"}, true},
		{[]string{"add-node", "--host", "pi-1"}, true},
		{[]string{"reset", "--yes"}, true},
		{[]string{"up", "--lock-wait", "300ms"}, true},
		{[]string{"up", "--dry-run"}, false},
		{[]string{"up", "--preflight-only"}, false},
		{[]string{"reset", "--dry-run"}, false},
		{[]string{"doctor"}, false},
		{[]string{"kubeconfig"}, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errOut, code := runCLI(t, append(tt.args, "-i", inv)...)
			named := strings.Contains(errOut, "inventory "+inv+": held by "+holder.String())
			switch {
			case tt.locked && (code != exitRefused || !named):
				t.Errorf("exit %d, want %d and the holder named\n%s", code, exitRefused, errOut)
			case !tt.locked && (code == exitRefused || strings.Contains(errOut, "lock")):
				t.Errorf("a read-only run met the lock: exit %d\n%s", code, errOut)
			case !tt.locked && !strings.Contains(errOut, "127.0.0.1"):
				t.Errorf("a read-only run did not get to the host\n%s", errOut)
			}
		})
	}
}

// TestLockWaitInterrupted: Ctrl-C while `--lock-wait` waits for another run
// ends the wait at once with exit 130, nothing touched.
func TestLockWaitInterrupted(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	inv := writeInventory(t, twoPis)
	l, err := lock.LockInventory(context.Background(), inv, lock.NewHolder("up"), 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	stopCtx, stop := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, stop) // the user's Ctrl-C, while the wait polls
	io := newTestIO("", false)
	start := time.Now()
	code := run(fleet.WithStop(context.Background(), stopCtx), []string{"up", "-i", inv, "--lock-wait", "1m"},
		&factory{IO: io.ioStreams, Dial: newFleet(t).dial})
	if code != exitInterrupted || time.Since(start) > 30*time.Second {
		t.Errorf("exit %d after %s, want %d at once\n%s", code, time.Since(start), exitInterrupted, io.err)
	}
	wantInOrder(t, io.err.String(), "error: wait for the lock on this machine: interrupted")
}
