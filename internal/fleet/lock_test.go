package fleet_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/lock"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"github.com/k3sup-pi/k3sup-pi/internal/reset"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
)

// leaseHost runs the lock script with the local sh against the host's own
// temp directory (its /var/lib) and fake /proc; everything else goes to the
// fake host.
type leaseHost struct {
	fleet.Conn
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

// leaseFleet is s1, s2, s3, a1, a2 running k3s, with a lease directory each.
func leaseFleet(t *testing.T) (*inventory.Inventory, fleet.Dialer, *fleettest.Fleet, map[string]*leaseHost) {
	names := []string{"s1", "s2", "s3", "a1", "a2"}
	f := fleettest.New(t)
	inv := fleettest.Inventory(t, t.TempDir(), "", names...)
	hosts := map[string]*leaseHost{}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		h := f.Add(n, fleettest.Fixture(t, "pi4-k3s-server.txt"))
		h.Set("hostname", n)
		h.Running(map[bool]string{true: "server", false: "agent"}[n[0] == 's'], "v1.31.4+k3s1")
		lh := &leaseHost{Conn: h, dir: t.TempDir(), run: t.TempDir(), proc: t.TempDir()}
		must(os.MkdirAll(filepath.Join(lh.proc, "sys/kernel/random"), 0o755))
		must(os.WriteFile(filepath.Join(lh.proc, "sys/kernel/random/boot_id"), []byte("b1\n"), 0o644))
		must(os.WriteFile(filepath.Join(lh.proc, "uptime"), []byte("100.00 1.00\n"), 0o644))
		hosts[n] = lh
	}
	return inv, func(_ context.Context, h inventory.Host) (fleet.Conn, error) { return hosts[h.Address], nil }, f, hosts
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
	runs := map[string]func(*inventory.Inventory, fleet.Dialer) error{
		"up": func(inv *inventory.Inventory, dial fleet.Dialer) error {
			_, err := steps.Up(context.Background(), steps.Options{Inventory: inv, Dial: dial, Log: &fleettest.Log{}, Lock: lockOpts()})
			return err
		},
		"reset": func(inv *inventory.Inventory, dial fleet.Dialer) error {
			_, err := reset.Run(context.Background(), reset.Options{Inventory: inv, Dial: dial, Log: &fleettest.Log{}, Lock: lockOpts()})
			return err
		},
	}
	for name, run := range runs {
		t.Run(name, func(t *testing.T) {
			inv, dial, f, hosts := leaseFleet(t)
			if err := os.WriteFile(hosts["a2"].lease(), []byte(otherRun), 0o644); err != nil {
				t.Fatal(err)
			}
			err := run(inv, dial)
			var busy *lock.BusyError
			if !errors.As(err, &busy) || !strings.Contains(err.Error(), "a2: held by k3sup-pi up (pid 4242 on ann@laptop") {
				t.Fatalf("err = %v, want a BusyError naming a2's holder", err)
			}
			if got := f.Changing(); len(got) > 0 {
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
	inv, dial, f, hosts := leaseFleet(t)
	held := 0
	confirm := func(*reset.Result) error {
		for _, h := range hosts {
			if b, err := os.ReadFile(h.lease()); err == nil && strings.Contains(string(b), "\nid=run2\n") {
				held++
			}
		}
		return nil
	}
	_, err := reset.Run(context.Background(), reset.Options{Inventory: inv, Dial: dial, Log: &fleettest.Log{}, Confirm: confirm, Lock: lockOpts()})
	if err != nil {
		t.Fatal(err)
	}
	uninstalls := 0
	for _, c := range f.Changing() {
		if strings.HasSuffix(c, ": uninstall") {
			uninstalls++
		}
	}
	if held != len(hosts) || uninstalls != len(hosts) {
		t.Errorf("leases held while resetting: %d of %d; uninstalls %d", held, len(hosts), uninstalls)
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
	confirm := func(*reset.Result) error { cancel(); return nil }
	// The release must not use the run's (cancelled) context: with it lock.sh
	// could not run and the leases would stay.
	_, _ = reset.Run(ctx, reset.Options{Inventory: inv, Dial: dial, Log: &fleettest.Log{}, Confirm: confirm, Lock: lockOpts()})
	for addr, h := range hosts {
		if _, err := os.Stat(h.lease()); !os.IsNotExist(err) {
			t.Errorf("%s: lease left by an interrupted run", addr)
		}
	}
}

// TestUpUnderTheLock: up with a lock changes the hosts through the locked
// connections and leaves no lease behind.
func TestUpUnderTheLock(t *testing.T) {
	inv, dial, f, hosts := leaseFleet(t)
	if _, err := steps.Up(context.Background(), steps.Options{Inventory: inv, Dial: dial, Log: &fleettest.Log{}, Lock: lockOpts()}); err != nil {
		t.Fatal(err)
	}
	wrote := false
	for _, c := range f.Changing() {
		wrote = wrote || strings.HasSuffix(c, "write /etc/rancher/k3s/config.yaml")
	}
	if !wrote {
		t.Errorf("no config.yaml written through the lock: %q", f.Changing())
	}
	for addr, h := range hosts {
		if _, err := os.Stat(h.lease()); !os.IsNotExist(err) {
			t.Errorf("%s: lease left after the run", addr)
		}
	}
}

// TestLockedConnLost: a locked connection passes every call through while its
// lease holds, and refuses every call (command, write, upload, reboot) once
// another run took the lease over.
func TestLockedConnLost(t *testing.T) {
	inv, dial, f, hosts := leaseFleet(t)
	var nodes []*fleet.Node
	for _, h := range inv.Hosts {
		c, err := dial(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, &fleet.Node{Host: h, Conn: c})
	}
	opt := lockOpts()
	opt.TTL = 400 * time.Millisecond
	ctx := context.Background()
	if err := fleet.Lock(ctx, opt, nodes, 5); err != nil {
		t.Fatal(err)
	}
	n := nodes[len(nodes)-1]
	defer func() { _ = n.Conn.Close() }()
	bundle := filepath.Join(t.TempDir(), "k3s")
	if err := os.WriteFile(bundle, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"run": func() error {
			_, err := n.Conn.Run(ctx, remote.Argv("systemctl", "is-active", "k3s-agent"))
			return err
		},
		"write":  func() error { _, err := n.Conn.WriteFile(ctx, "/etc/x", []byte("x"), 0o600); return err },
		"upload": func() error { _, err := n.Conn.Upload(ctx, bundle, "/usr/local/bin/k3s", 0o755); return err },
		"reboot": func() error { return n.Conn.Reboot(ctx, time.Second) },
	}
	for name, call := range calls {
		if err := call(); err != nil {
			t.Errorf("%s under a live lease: %v", name, err)
		}
	}
	if len(f.Changing()) == 0 {
		t.Fatal("nothing reached the host through the locked connection")
	}
	if err := os.WriteFile(hosts[n.Host.Address].lease(), []byte(strings.Replace(otherRun, "until=200", "until=100000", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for calls["run"]() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the heartbeat never noticed the lease was taken over")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for name, call := range calls {
		var lost *lock.LostError
		if err := call(); !errors.As(err, &lost) {
			t.Errorf("%s after the lease was taken over: err = %v, want a LostError", name, err)
		}
	}
}
