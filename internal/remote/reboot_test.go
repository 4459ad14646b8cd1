package remote

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
)

// rebootCase is one way a host behaves when asked to reboot.
type rebootCase struct {
	name      string
	goesDown  bool   // the reboot request takes the server down
	comesBack bool   // ... and it listens again 300 ms later
	newBoot   bool   // the boot id changes across the reboot (a real kernel restart)
	state     string // what systemctl is-system-running says
	newKey    bool   // the host key changes across the reboot
	noAuth    bool   // our key is no longer authorized after the reboot
	timeout   time.Duration
	check     func(t *testing.T, err error, took time.Duration)
}

func TestReboot(t *testing.T) {
	const slow = 6 * time.Second // room for several probes on a loaded 2-core machine
	notBack := func(stage int, phrases ...string) func(*testing.T, error, time.Duration) {
		return func(t *testing.T, err error, took time.Duration) {
			var nb *NotBackError
			if !errors.As(err, &nb) || nb.Stage != stage {
				t.Fatalf("err = %v, want a NotBackError of stage %d", err, stage)
			}
			msg := err.Error()
			mustContain(t, msg, append(phrases, slow.String())...)
			if n := strings.Count(msg, nb.Host); n != 1 {
				t.Errorf("the host is named %d times, want once: %s", n, msg)
			}
		}
	}
	quick := func(check func(error) bool, what string) func(*testing.T, error, time.Duration) {
		return func(t *testing.T, err error, took time.Duration) {
			if !check(err) {
				t.Fatalf("err = %v, want %s", err, what)
			}
			// The wait must stop at once, not run into the 60 s timeout.
			if took > 10*time.Second {
				t.Errorf("took %s to give up on a %s", took.Round(time.Millisecond), what)
			}
		}
	}
	isHostKey := func(err error) bool {
		var hk *HostKeyError
		return errors.As(err, &hk) && hk.Kind == HostKeyChanged
	}
	isAuth := func(err error) bool { var ae *AuthError; return errors.As(err, &ae) }
	tests := []rebootCase{
		{name: "back and running", goesDown: true, comesBack: true, newBoot: true, state: "running", timeout: slow},
		{name: "back degraded", goesDown: true, comesBack: true, newBoot: true, state: "degraded", timeout: slow},
		{name: "never goes down", state: "running", timeout: slow,
			check: notBack(StageNotDown, "did not reboot within", "still running the boot from before")},
		{name: "never comes back", goesDown: true, newBoot: true, state: "running", timeout: slow,
			check: notBack(StageDown, "did not come back within", "last seen: no SSH connection: dial: ")},
		{name: "stuck starting", goesDown: true, comesBack: true, newBoot: true, state: "starting", timeout: slow,
			check: notBack(StageBooting, "did not finish booting", `systemd state "starting"`)},
		// /run was cleared and sshd restarted, but the kernel did not boot
		// again: cmdline.txt has not taken effect, so the host is not back.
		{name: "userspace restart only", goesDown: true, comesBack: true, state: "running", timeout: slow,
			check: notBack(StageDown, "the kernel did not restart")},
		{name: "host key changed", goesDown: true, comesBack: true, newBoot: true, state: "running", newKey: true,
			timeout: time.Minute, check: quick(isHostKey, "changed host key")},
		{name: "key refused", goesDown: true, comesBack: true, newBoot: true, state: "running", noAuth: true,
			timeout: time.Minute, check: quick(isAuth, "refused key")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testReboot(t, tt) })
	}
}

func testReboot(t *testing.T, tt rebootCase) {
	e := newEnv(t)
	bootID := filepath.Join(t.TempDir(), "boot_id")
	writeBootID := func(id string) {
		if err := os.WriteFile(bootID, []byte(id+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
	writeBootID("0b6a1c2e-5f4d-4b0a-9c1e-2d3f4a5b6c7d")
	var srv *sshtest.Server
	var rebooted atomic.Bool
	onDown := func() {
		if tt.newBoot {
			writeBootID("5e1d0c3b-7a69-4f48-8d2c-1b0a99887766")
		}
		if tt.newKey {
			srv.SetHostKey(sshtest.NewKey(t))
		}
		if tt.noAuth {
			srv.SetAuthorizedKeys()
		}
	}
	srv = e.server(sshtest.Config{
		Bin: map[string]string{"systemctl": sshtest.SystemctlScript(tt.state)},
		Intercept: func(cmd string) (int, bool) {
			if !strings.Contains(cmd, "systemctl reboot") {
				return 0, false
			}
			if tt.goesDown && rebooted.CompareAndSwap(false, true) {
				delay := 300 * time.Millisecond
				if !tt.comesBack {
					delay = time.Hour
				}
				srv.Reboot(delay, onDown)
			}
			return 0, true
		},
	})
	e.trust(srv)
	c := e.dial(target(srv), e.opts())
	c.bootIDFile = bootID
	start := time.Now()
	err := c.Reboot(ctxT(t), tt.timeout)
	if tt.check != nil {
		tt.check(t, err, time.Since(start))
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !rebooted.Load() {
		t.Fatal("reboot was not requested")
	}
	res, err := c.Run(ctxT(t), Cmd{Script: "echo usable"})
	if err != nil || strings.TrimSpace(string(res.Stdout)) != "usable" {
		t.Fatalf("client after reboot: %q %v", res.Stdout, err)
	}
	if len(srv.Users()) < 2 {
		t.Errorf("no reconnection seen: users %v", srv.Users())
	}
}

// TestRebootRefusesWithoutBootID: a host whose boot id cannot be read is not
// rebooted at all, since its return could not be told.
func TestRebootRefusesWithoutBootID(t *testing.T) {
	e := newEnv(t)
	var asked atomic.Bool
	srv := e.server(sshtest.Config{Intercept: func(cmd string) (int, bool) {
		if strings.Contains(cmd, "systemctl reboot") {
			asked.Store(true)
			return 0, true
		}
		return 0, false
	}})
	e.trust(srv)
	c := e.dial(target(srv), e.opts())
	c.bootIDFile = filepath.Join(t.TempDir(), "absent")
	err := c.Reboot(ctxT(t), 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "cannot read the kernel boot id") {
		t.Fatalf("err = %v, want a refusal naming the boot id", err)
	}
	if asked.Load() {
		t.Error("the host was asked to reboot")
	}
}
