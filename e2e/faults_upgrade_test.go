//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestFaultHAUpgradeKilled is issue 12's scenario 12: three servers and an
// agent upgrade from v1 to v2, and k3sup-pi is killed (SIGKILL) once the
// first server reports v2. From then on the API answers every poll through
// the kubeconfig; the re-run (which takes over the killed run's leases)
// completes the upgrade one server at a time, each upgraded only after the
// one before was Ready on v2 and with two servers Ready at every restart,
// and every node reports v2.
func TestFaultHAUpgradeKilled(t *testing.T) {
	t0 := time.Now()
	f := startFleet(t, "n2", 4, true)
	names := []string{"n-s1", "n-s2", "n-s3", "n-a1"}
	hosts := specs(f.Hosts, names)
	for i := range hosts {
		hosts[i].role = map[bool]string{true: "server", false: "agent"}[i < 3]
	}
	inv := writeFile(t, "inventory.yml", inventory(f, onlineInstall(f)+"k3s_version: "+v1+"\n", hosts))
	mustTool(t, "up", "-i", inv)
	kc := filepath.Join(filepath.Dir(inv), "kubeconfig")
	t.Logf("the cluster on %s: %s", v1, time.Since(t0).Round(time.Second))

	step := time.Now()
	run := toolStream(t, "up", "-i", inv, "--k3s-version", v2)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		nodes, err := nodesOrErr(kc)
		if n := nodes["n-s1"]; err == nil && n.ready() && n.Status.NodeInfo.KubeletVersion == v2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("n-s1 not on %s after 5m (last error %v); stderr:\n%s", v2, err, run.stderr())
		}
		time.Sleep(200 * time.Millisecond)
	}
	run.kill(t)
	r := run.wait(t)
	t.Logf("killed %s into the upgrade (exit %d); stderr so far:\n%s", r.took.Round(time.Second), r.code, r.stderr)
	polls := pollAPI(kc)

	rerun := mustTool(t, "up", "-i", inv, "--k3s-version", v2)
	t.Logf("the re-run:\n%s", rerun.stderr)
	ok, failed := polls.stop()
	if ok == 0 || len(failed) > 0 {
		t.Errorf("the API through the kubeconfig answered %d polls and failed %d after the kill: %v", ok, len(failed), failed)
	}
	nodes := kubectlNodes(t, kc)
	checkRollingUpgrade(t, nodes, names[:3], step)
	checkVersions(t, nodes, names, v2)
	t.Logf("the killed upgrade and its re-run: %s", time.Since(step).Round(time.Second))
	t.Logf("TestFaultHAUpgradeKilled took %s", time.Since(t0).Round(time.Second))
}

// nodesOrErr reads the nodes through the kubeconfig (10s at most).
func nodesOrErr(kc string) (map[string]kubeNode, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "kubectl", "--kubeconfig", kc, "get", "nodes", "-o", "json").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("kubectl get nodes: %v: %s", err, out)
	}
	var list struct{ Items []kubeNode }
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, err
	}
	m := map[string]kubeNode{}
	for _, n := range list.Items {
		m[n.Metadata.Name] = n
	}
	return m, nil
}

// apiPoller reads the nodes every half second until stopped, counting the
// reads that worked and keeping the errors of the others.
type apiPoller struct {
	mu     sync.Mutex
	ok     int
	failed []string
	quit   chan struct{}
	done   chan struct{}
}

func pollAPI(kc string) *apiPoller {
	p := &apiPoller{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			_, err := nodesOrErr(kc)
			p.mu.Lock()
			if err != nil {
				p.failed = append(p.failed, time.Now().Format(time.RFC3339)+" "+err.Error())
			} else {
				p.ok++
			}
			p.mu.Unlock()
			select {
			case <-p.quit:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// stop ends the polling and returns its counts.
func (p *apiPoller) stop() (int, []string) {
	close(p.quit)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ok, p.failed
}
