package steps

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/lock"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// leaseHost runs the lock script with the local sh against the host's own
// temp directory (its /var/lib) and fake /proc; everything else goes to the
// fake host.
type leaseHost struct {
	Conn
	dir, run, proc string
}

func (h *leaseHost) Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error) {
	if !strings.Contains(cmd.Script, "k3sup-pi-lock 1") {
		return h.Conn.Run(ctx, cmd)
	}
	script := strings.Replace(cmd.Script, " /var/lib /run /proc ", " "+h.dir+" "+h.run+" "+h.proc+" ", 1)
	out, err := exec.CommandContext(ctx, "sh", "-c", script).Output()
	return remote.Result{Stdout: out}, err
}

func (h *leaseHost) lease() string { return filepath.Join(h.dir, "k3sup-pi.lock") }

// leaseFleet wraps fakeFleet's hosts with a lease directory each.
func leaseFleet(t *testing.T) (*inventory.Inventory, Dialer, *cmdLog, map[string]*leaseHost) {
	inv, dial, log := fakeFleet(t, true)
	hosts := map[string]*leaseHost{}
	for _, h := range inv.Hosts {
		c, _ := dial(context.Background(), h)
		lh := &leaseHost{Conn: c, dir: t.TempDir(), run: t.TempDir(), proc: t.TempDir()}
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(os.MkdirAll(filepath.Join(lh.proc, "sys/kernel/random"), 0o755))
		must(os.WriteFile(filepath.Join(lh.proc, "sys/kernel/random/boot_id"), []byte("b1\n"), 0o644))
		must(os.WriteFile(filepath.Join(lh.proc, "uptime"), []byte("100.00 1.00\n"), 0o644))
		hosts[h.Address] = lh
	}
	return inv, func(_ context.Context, h inventory.Host) (Conn, error) { return hosts[h.Address], nil }, log, hosts
}

// otherRun is a live lease of another run, on another machine.
const otherRun = "k3sup-pi-lock 1\nid=run1\noperator=ann@laptop\nmachine=m-ann\npid=4242\ncommand=up\nstarted=1700000000\nboot=b1\nuntil=200\ngrace=720\n"

func lockOpts() *lock.HostOptions {
	return &lock.HostOptions{Holder: lock.Holder{ID: "run2", Command: "reset", Operator: "bob@desk", Machine: "m-bob", PID: 77,
		Started: time.Unix(1700000100, 0)}}
}

// TestRunsRefusedWhileLocked: up and reset, with a lock, are refused while
// another run holds one of the hosts, and change nothing anywhere.
func TestRunsRefusedWhileLocked(t *testing.T) {
	runs := map[string]func(*inventory.Inventory, Dialer) error{
		"up": func(inv *inventory.Inventory, dial Dialer) error {
			_, err := Up(context.Background(), Options{Inventory: inv, Dial: dial, Log: resetQuietLog{}, Lock: lockOpts()})
			return err
		},
		"reset": func(inv *inventory.Inventory, dial Dialer) error {
			_, err := Reset(context.Background(), ResetOptions{Inventory: inv, Dial: dial, Log: resetQuietLog{}, Lock: lockOpts()})
			return err
		},
	}
	for name, run := range runs {
		t.Run(name, func(t *testing.T) {
			inv, dial, log, hosts := leaseFleet(t)
			if err := os.WriteFile(hosts["a2"].lease(), []byte(otherRun), 0o644); err != nil {
				t.Fatal(err)
			}
			err := run(inv, dial)
			var busy *lock.BusyError
			if !errors.As(err, &busy) || !strings.Contains(err.Error(), "a2: held by k3sup-pi up (pid 4242 on ann@laptop") {
				t.Fatalf("err = %v, want a BusyError naming a2's holder", err)
			}
			if got := log.matching("."); len(got) > 0 {
				t.Errorf("commands run although refused: %q", got)
			}
			for addr, h := range hosts {
				if _, err := os.Stat(h.lease()); (addr == "a2") == os.IsNotExist(err) {
					t.Errorf("%s: lease present = %v", addr, err == nil)
				}
			}
		})
	}
}

// TestResetHoldsTheLock: every host's lease is this run's while reset works,
// and none is left afterwards.
func TestResetHoldsTheLock(t *testing.T) {
	inv, dial, log, hosts := leaseFleet(t)
	held := 0
	confirm := func(*ResetResult) error {
		for _, h := range hosts {
			if b, err := os.ReadFile(h.lease()); err == nil && strings.Contains(string(b), "\nid=run2\n") {
				held++
			}
		}
		return nil
	}
	_, err := Reset(context.Background(), ResetOptions{Inventory: inv, Dial: dial, Log: resetQuietLog{}, Confirm: confirm, Lock: lockOpts()})
	if err != nil {
		t.Fatal(err)
	}
	if held != len(hosts) || len(log.matching("uninstall")) != len(hosts) {
		t.Errorf("leases held while resetting: %d of %d; uninstalls %q", held, len(hosts), log.matching("uninstall"))
	}
	for addr, h := range hosts {
		if _, err := os.Stat(h.lease()); !os.IsNotExist(err) {
			t.Errorf("%s: lease left after the run", addr)
		}
	}
}

// TestLockReleasedOnCancel: a run interrupted (Ctrl-C cancels its context)
// after taking the lock still removes every lease on its way out.
func TestLockReleasedOnCancel(t *testing.T) {
	inv, dial, _, hosts := leaseFleet(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	confirm := func(*ResetResult) error { cancel(); return nil }
	// The release must not use the run's (cancelled) context: with it lock.sh
	// could not run and the leases would stay.
	_, _ = Reset(ctx, ResetOptions{Inventory: inv, Dial: dial, Log: resetQuietLog{}, Confirm: confirm, Lock: lockOpts()})
	for addr, h := range hosts {
		if _, err := os.Stat(h.lease()); !os.IsNotExist(err) {
			t.Errorf("%s: lease left by an interrupted run", addr)
		}
	}
}
