//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFaultMaxFailures is issue 12's scenario 2 on a server and four agents
// in batches of two: n-a1 is killed (its container) during its join, n-a2 is
// paused once its install finished, before its node is Ready (its kubelet
// readies only after 60s), so it stays NotReady past ready_timeout. With
// --max-failures 2 the batch reports both, each named with why, the second
// batch still runs, and the run exits 1. Once both are back, a re-run
// converges: every node Ready, and nothing changed on the server, n-a3 and
// n-a4 (boot, files, the k3s unit's start time).
func TestFaultMaxFailures(t *testing.T) {
	t0 := time.Now()
	f := startFleet(t, "n1", 5, false)
	srv, a1, a2, a3, a4 := f.Hosts[0], f.Hosts[1], f.Hosts[2], f.Hosts[3], f.Hosts[4]
	bundle := filepath.Join(t.TempDir(), "bundle")
	makeBundle(t, bundle, v1)
	cluster := fmt.Sprintf("install:\n  source: offline\n  bundle_dir: %s\nbatch_size: 2\ninstall_timeout: 20s\nready_timeout: 15s\n", bundle)
	names := []string{"n-srv", "n-a1", "n-a2", "n-a3", "n-a4"}
	inv := writeFile(t, "inventory.yml", inventory(f, cluster, specs(f.Hosts, names)))
	kc := filepath.Join(filepath.Dir(inv), "kubeconfig")
	hostExec(t, f, a2, "echo K3S_STANDIN_READY_DELAY=60s > /etc/default/k3s-agent")

	step := time.Now()
	run := toolStream(t, "up", "-i", inv, "--max-failures", "2")
	awaitHost(t, f, a1, 5*time.Minute, "test -e /etc/rancher/k3s/config.yaml && echo yes || echo no",
		func(s string) bool { return s == "yes" }, "n-a1's join to start")
	hostAction(t, a1, f.Kill)
	run.await(t, 3*time.Minute, "1: waiting for 1 nodes to be Ready")
	hostAction(t, a2, f.Pause)
	r := run.wait(t)
	t.Logf("up with n-a1 killed and n-a2 paused: exit %d in %s; stderr:\n%s", r.code, r.took.Round(time.Second), r.stderr)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	wantStderr(t, r, "up with two agents failed",
		"2 agents failed (max_failures allows 2):",
		"n-a2: node n-a2 not Ready after 15s (NotReady)",
		"fix the failed agents, then run `up` again")
	if !strings.Contains(r.stderr, "\n  install k3s (agent): "+a1.Addr+": ") {
		t.Errorf("the error does not name n-a1:\n%s", r.stderr)
	}
	for _, a := range []string{"n-a1", "n-a2"} {
		if !regexp.MustCompile(`(?m)^` + a + ` +agent +` + a + ` +.*FAILED \(see the error below\)$`).MatchString(r.stderr) {
			t.Errorf("the summary does not mark %s FAILED:\n%s", a, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "later batches not started") {
		t.Errorf("the second batch was not started although 2 failures are allowed:\n%s", r.stderr)
	}
	nodes := kubectlNodes(t, kc)
	checkVersions(t, nodes, []string{"n-srv", "n-a3", "n-a4"}, v1)
	others := settled(t, f, srv, a3, a4)
	t.Logf("the run with two failures: %s", time.Since(step).Round(time.Second))

	step = time.Now()
	hostAction(t, a2, f.Unpause)
	hostExec(t, f, a2, "rm -f /etc/default/k3s-agent")
	hostAction(t, a1, f.PowerOn)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := f.WaitReady(ctx, a1, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	r = mustTool(t, "up", "-i", inv, "--max-failures", "2")
	t.Logf("the re-run:\n%s", r.stderr)
	checkVersions(t, kubectlNodes(t, kc), names, v1)
	if got := settled(t, f, srv, a3, a4); got != others {
		t.Errorf("the re-run touched hosts that had finished:\nbefore %s\nafter  %s", others, got)
	}
	t.Logf("the re-run after both came back: %s", time.Since(step).Round(time.Second))
	t.Logf("TestFaultMaxFailures took %s", time.Since(t0).Round(time.Second))
}

// streamed is a k3sup-pi run in the background whose stderr can be read
// while it runs.
type streamed struct {
	mu    sync.Mutex
	errb  strings.Builder
	done  chan result
	start time.Time
	cmd   *exec.Cmd
}

func (s *streamed) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errb.Write(p)
}

func (s *streamed) stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errb.String()
}

// toolStream starts k3sup-pi with args (at most 10 minutes).
func toolStream(t *testing.T, args ...string) *streamed {
	t.Helper()
	s := &streamed{done: make(chan result, 1), start: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	cmd := exec.CommandContext(ctx, toolBin, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.Stderr = s
	s.cmd = cmd
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-s.done })
	go func() {
		err := cmd.Wait()
		r := result{stderr: s.stderr(), took: time.Since(s.start), code: cmd.ProcessState.ExitCode()}
		if err != nil && r.code == 0 {
			r.code = -1
		}
		s.done <- r
		close(s.done)
	}()
	return s
}

// await polls the run's stderr until it holds want, within timeout.
func (s *streamed) await(t *testing.T, timeout time.Duration, want string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(s.stderr(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %q in k3sup-pi's stderr:\n%s", timeout, want, s.stderr())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wait returns the run's result once it ended.
func (s *streamed) wait(t *testing.T) result {
	t.Helper()
	r, ok := <-s.done
	if !ok {
		t.Fatal("the run's result was already taken")
	}
	return r
}

// kill ends the run with SIGKILL, as a power cut of the machine running it would.
func (s *streamed) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
}
