//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
)

// strays lists what an ended or interrupted run must not leave on a host:
// its lease, the temp files of the lease, of verified writes and of uploads.
const strays = leftovers + "; ls -d /var/lib/k3sup-pi.lock /var/lib/.k3sup-pi.lock.* /etc/rancher/k3s/.k3sup-pi.* " +
	"/boot/firmware/.k3sup-pi.* /boot/firmware/.*.k3sup-pi.* 2>/dev/null || true"

// TestInterruptAgentBatches is issue 12's scenario 11 on a server and two
// agents in batches of one: the first SIGINT while the first agent batch
// runs lets that batch end, starts no second batch, prints the summary and
// the host not started, releases the locks and exits 130; a second run
// stopped by two SIGINTs ends at once with 130; the next run ends with every
// node Ready, and no host keeps a lease or a temp file.
func TestInterruptAgentBatches(t *testing.T) {
	t0 := time.Now()
	f := startFleet(t, "m11", 3, false)
	bundle := filepath.Join(t.TempDir(), "bundle")
	makeBundle(t, bundle, v1)
	cluster := fmt.Sprintf("install:\n  source: offline\n  bundle_dir: %s\nbatch_size: 1\nready_timeout: 60s\n", bundle)
	names := []string{"m-srv", "m-a1", "m-a2"}
	inv := writeFile(t, "inventory.yml", inventory(f, cluster, specs(f.Hosts, names)))
	kc := filepath.Join(filepath.Dir(inv), "kubeconfig")

	r := interruptAt(t, "batch: 1: waiting", 1, "up", "-i", inv)
	t.Logf("up, SIGINT in the first agent batch: exit %d, %s after the signal; stderr:\n%s", r.code, r.took.Round(100*time.Millisecond), r.stderr)
	if r.code != 130 || r.took > 90*time.Second {
		t.Errorf("exit %d %s after SIGINT, want 130 within 90s", r.code, r.took)
	}
	wantStderr(t, r, "the first SIGINT", "interrupt: starting nothing new, letting the running steps end (Ctrl-C again stops at once)",
		"HOST ", "error: interrupted: 1 hosts not started: m-a2")
	if strings.Contains(r.stderr, "batch: 2:") || strings.Contains(r.stderr, "==> ready") {
		t.Errorf("work started after the SIGINT:\n%s", r.stderr)
	}
	if v := hostExec(t, f, f.Hosts[2], "ls /etc/rancher/k3s/config.yaml /etc/systemd/system/k3s-agent.service 2>/dev/null || true"); v != "" {
		t.Errorf("m-a2: joined after the SIGINT: %s", v)
	}
	noStrays(t, f, "after the first SIGINT", f.Hosts...)

	r = interruptAt(t, "==> agents", 2, "up", "-i", inv)
	t.Logf("up, two SIGINTs: exit %d, %s after the first; stderr:\n%s", r.code, r.took.Round(100*time.Millisecond), r.stderr)
	if r.code != 130 || r.took > 10*time.Second {
		t.Errorf("exit %d %s after two SIGINTs, want 130 at once", r.code, r.took)
	}
	wantStderr(t, r, "the second SIGINT", "interrupt: stopped at once")

	r = mustTool(t, "up", "-i", inv)
	t.Logf("the re-run: %s\n%s", r.took.Round(100*time.Millisecond), r.stderr)
	checkVersions(t, kubectlNodes(t, kc), names, v1)
	noStrays(t, f, "after the re-run", f.Hosts...)
	t.Logf("TestInterruptAgentBatches took %s", time.Since(t0).Round(time.Second))
}

// noStrays fails the test for each of hosts that keeps a lease or a temp file.
func noStrays(t *testing.T, f *fleet.Fleet, when string, hosts ...*fleet.Host) {
	t.Helper()
	for _, h := range hosts {
		if left := hostExec(t, f, h, strays); left != "" {
			t.Errorf("%s: %s, left behind:\n%s", h.Name, when, left)
		}
	}
}

// interruptAt runs k3sup-pi and sends it n SIGINTs (each after the tool
// said it got the one before) once a line of its stderr contains mark; took
// is the time from the first signal to the end.
func interruptAt(t *testing.T, mark string, n int, args ...string) result {
	t.Helper()
	return actAt(t, mark, func(p *os.Process, next func(string)) {
		for i := 0; i < n; i++ {
			if err := p.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			if i+1 < n {
				next("interrupt: starting nothing new")
			}
		}
	}, args...)
}

// actAt runs k3sup-pi and calls act once a line of its stderr contains mark;
// act may wait for a later line with next. took is the time from act to the end.
func actAt(t *testing.T, mark string, act func(p *os.Process, next func(string)), args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, toolBin, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out bytes.Buffer
	cmd.Stdout = &out
	pr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	var acted time.Time
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		errb.WriteString(sc.Text() + "\n")
		if acted.IsZero() && strings.Contains(sc.Text(), mark) {
			acted = time.Now()
			act(cmd.Process, func(want string) { waitLine(t, sc, &errb, want) })
		}
	}
	_, _ = io.Copy(io.Discard, pr)
	err = cmd.Wait()
	r := result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
	if acted.IsZero() {
		t.Fatalf("k3sup-pi %s never printed %q (%v):\n%s", strings.Join(args, " "), mark, err, r.stderr)
	}
	r.took = time.Since(acted)
	return r
}

// waitLine reads stderr lines into b until one contains want.
func waitLine(t *testing.T, sc *bufio.Scanner, b *strings.Builder, want string) {
	t.Helper()
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), want) {
			return
		}
	}
	t.Fatalf("stderr ended before %q:\n%s", want, b.String())
}
