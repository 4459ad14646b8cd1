//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
)

// toolAsync starts k3sup-pi in the background (at most 5 minutes); the
// channel yields its result.
func toolAsync(args ...string) <-chan result {
	ch := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, toolBin, args...)
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		start := time.Now()
		err := cmd.Run()
		r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start), code: -1}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err == nil {
			r.code = 0
		}
		ch <- r
	}()
	return ch
}

// awaitHost runs script on h until ok accepts its output, within timeout.
// Unlike pollHost it bears with a host that is rebooting meanwhile.
func awaitHost(t *testing.T, f *fleet.Fleet, h *fleet.Host, timeout time.Duration, script string, ok func(string) bool, what string) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := f.Exec(ctx, h, script)
		cancel()
		last = strings.TrimSpace(out)
		if err == nil && ok(last) {
			return last
		}
		if err != nil {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: waited %s for %s; last: %q", h.Name, timeout, what, last)
	return ""
}

// hostAction runs a fleet operation (power, network) on h or fails the test.
func hostAction(t *testing.T, h *fleet.Host, op func(context.Context, *fleet.Host) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := op(ctx, h); err != nil {
		t.Fatal(err)
	}
}

// settled is what a run must not touch on a host that is already done: its
// boot, cmdline.txt, config.yaml, binary and the k3s unit's start time.
func settled(t *testing.T, f *fleet.Fleet, hosts ...*fleet.Host) string {
	t.Helper()
	var b strings.Builder
	for _, h := range hosts {
		out := hostExec(t, f, h, "cat "+bootIDPath+"; sha256sum /boot/firmware/cmdline.txt /etc/rancher/k3s/config.yaml /usr/local/bin/k3s; "+
			"for u in k3s k3s-agent; do [ ! -e /etc/systemd/system/$u.service ] || systemctl show -p ActiveEnterTimestampMonotonic --value $u; done")
		fmt.Fprintf(&b, "[%s %s]\n", h.Name, strings.Join(strings.Fields(out), " "))
	}
	return b.String()
}

// leftovers lists what k3sup-pi may leave half-done on a host: staging
// directories of uploads, temp files of uploads and verified writes.
const leftovers = "ls -d /home/pi/.k3sup-pi-stage.* /usr/local/bin/.k3sup-pi.* /usr/local/bin/.*.k3sup-pi.* " +
	"/var/lib/k3sup-pi/.*.k3sup-pi.* /var/lib/k3sup-pi/.k3sup-pi.* /etc/rancher/k3s/.*.k3sup-pi.* 2>/dev/null || true"

// wantStderr fails the test unless every piece is in the run's stderr.
func wantStderr(t *testing.T, r result, what string, pieces ...string) {
	t.Helper()
	for _, p := range pieces {
		if !strings.Contains(r.stderr, p) {
			t.Errorf("%s: stderr lacks %q:\n%s", what, p, r.stderr)
		}
	}
}

// knownHostsWithout writes the fleet's known_hosts without the lines of addr,
// as `ssh-keygen -R` does once the new key is verified.
func knownHostsWithout(t *testing.T, f *fleet.Fleet, addr string) {
	t.Helper()
	b, err := os.ReadFile(f.KnownHostsPath)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if name, _, _ := strings.Cut(l, " "); name != addr && l != "" {
			keep = append(keep, l)
		}
	}
	if err := os.WriteFile(f.KnownHostsPath, []byte(strings.Join(keep, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startInHost starts script in the background inside h (docker exec -d):
// a fault that waits on the host for the moment to strike.
func startInHost(t *testing.T, h *fleet.Host, script string) {
	t.Helper()
	if out, err := exec.Command("docker", "exec", "-d", h.Container, "sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("%s: start in the background: %v: %s", h.Name, err, out)
	}
}

func contextFor(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
