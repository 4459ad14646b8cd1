//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/standin"
)

// TestUpHAThenUpgrade: 3 servers + 4 agents, servers joined one at a time; then
// v1 -> v2 in place, servers one at a time with two Ready throughout; then a
// re-run that changes nothing.
func TestUpHAThenUpgrade(t *testing.T) {
	f := startFleet(t, "ha", 7, true)
	names := []string{"srv-1", "srv-2", "srv-3", "ag-1", "ag-2", "ag-3", "ag-4"}
	hosts := specs(f.Hosts, names)
	for i := range hosts {
		hosts[i].role = map[bool]string{true: "server", false: "agent"}[i < 3]
	}
	inv := writeFile(t, "inventory.yml", inventory(f, onlineInstall(f)+"k3s_version: "+v1+"\n", hosts))
	mustTool(t, "up", "-i", inv)
	kc := filepath.Join(filepath.Dir(inv), "kubeconfig")
	nodes := kubectlNodes(t, kc)
	for _, n := range names {
		if !nodes[n].ready() {
			t.Fatalf("%s not Ready", n)
		}
	}
	for i := 1; i < 3; i++ {
		prevReady := firstEvent(t, nodes[names[i-1]], "ready", "")
		reg := firstEvent(t, nodes[names[i]], "registered", "")
		if !reg.After(prevReady) {
			t.Errorf("%s registered at %s, before %s was Ready at %s: servers not joined one at a time",
				names[i], reg.Format(time.RFC3339Nano), names[i-1], prevReady.Format(time.RFC3339Nano))
		}
	}

	// The upgrade drains each node first and uncordons it once Ready on v2.
	inv = writeFile(t, "inventory.yml", inventory(f, onlineInstall(f)+"k3s_version: "+v1+"\ndrain_on_upgrade: true\n", hosts))
	start := time.Now()
	r := mustTool(t, "up", "-i", inv, "--k3s-version", v2)
	if d, u := strings.Count(r.stderr, "drained for the upgrade"), strings.Count(r.stderr, "uncordoned"); d != 7 || u != 7 {
		t.Errorf("drained %d and uncordoned %d nodes, want 7 each:\n%s", d, u, r.stderr)
	}
	nodes = kubectlNodes(t, kc)
	for name, n := range nodes {
		if n.Spec.Unschedulable {
			t.Errorf("%s is still cordoned after the upgrade", name)
		}
	}
	checkRollingUpgrade(t, nodes, names[:3], start)
	for _, n := range names {
		if v := nodes[n].Status.NodeInfo.KubeletVersion; v != v2 || !nodes[n].ready() {
			t.Errorf("%s after upgrade: version %s ready %v", n, v, nodes[n].ready())
		}
	}
	snap := snapshot(t, f)
	r = mustTool(t, "up", "-i", inv, "--k3s-version", v2)
	if !strings.Contains(r.stderr, "0 changes on 7 hosts") || snapshot(t, f) != snap {
		t.Errorf("re-run after the upgrade changed something:\n%s", r.stderr)
	}
}

// checkRollingUpgrade proves servers were upgraded one at a time (each
// restarted on v2 after the previous was Ready on v2) and that at least two
// servers were Ready at every upgrade event.
func checkRollingUpgrade(t *testing.T, nodes map[string]kubeNode, servers []string, since time.Time) {
	now := time.Now()
	var events []time.Time
	for i, s := range servers {
		up := firstEvent(t, nodes[s], "version", v2)
		if up.IsZero() {
			t.Fatalf("%s has no upgrade to %s in its history", s, v2)
		}
		events = append(events, up)
		if i > 0 {
			prev := firstEvent(t, nodes[servers[i-1]], "ready", v2)
			if !up.After(prev) {
				t.Errorf("%s upgraded at %s before %s was Ready on %s (%s)", s, up, servers[i-1], v2, prev)
			}
		}
	}
	for _, tm := range events {
		for _, probe := range []time.Time{tm.Add(-time.Millisecond), tm.Add(time.Millisecond)} {
			ready := 0
			for _, s := range servers {
				if readyAt(readyIntervals(t, nodes[s], now), probe) {
					ready++
				}
			}
			if ready < 2 {
				t.Errorf("only %d servers Ready at %s", ready, probe.Format(time.RFC3339Nano))
			}
		}
	}
}

// TestUpBatches: 1 server + 60 agents with batch size 50; no agent of the
// second batch registered before every node of the first batch was Ready.
func TestUpBatches(t *testing.T) {
	f := startFleet(t, "batch", 61, true)
	names := make([]string, len(f.Hosts))
	for i := range names {
		names[i] = fmt.Sprintf("node-%03d", i)
	}
	inv := writeFile(t, "inventory.yml", inventory(f, onlineInstall(f)+"batch_size: 50\n", specs(f.Hosts, names)))
	r := mustTool(t, "up", "-i", inv)
	t.Logf("1 server + 60 agents: up took %s", r.took.Round(time.Second))
	nodes := kubectlNodes(t, filepath.Join(filepath.Dir(inv), "kubeconfig"))
	if len(nodes) != 61 {
		t.Fatalf("%d nodes, want 61", len(nodes))
	}
	var lastReady1 time.Time
	for _, n := range names[1:51] {
		if tm := firstEvent(t, nodes[n], "ready", ""); tm.After(lastReady1) {
			lastReady1 = tm
		}
	}
	var regs2 []time.Time
	for _, n := range names[51:] {
		regs2 = append(regs2, firstEvent(t, nodes[n], "registered", ""))
	}
	sort.Slice(regs2, func(i, j int) bool { return regs2[i].Before(regs2[j]) })
	if !regs2[0].After(lastReady1) {
		t.Errorf("a second-batch agent registered at %s, before the first batch was all Ready (%s)", regs2[0], lastReady1)
	}
}

// TestUpOffline: the local bundle is uploaded over SFTP, and not again when
// the host already has it.
func TestUpOffline(t *testing.T) {
	f := startFleet(t, "offline", 2, false)
	bundle := filepath.Join(t.TempDir(), "bundle")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := standin.Bundle(ctx, bundle, v1); err != nil {
		t.Fatalf("bundle: %v", err)
	}
	cluster := "install:\n  source: offline\n  bundle_dir: " + bundle + "\n"
	inv := writeFile(t, "inventory.yml", inventory(f, cluster, specs(f.Hosts, []string{"off-1", "off-2"})))
	r := mustTool(t, "up", "-i", inv)
	if strings.Count(r.stderr, "uploaded /usr/local/bin/k3s") != 2 {
		t.Errorf("want the binary uploaded to both hosts:\n%s", r.stderr)
	}
	nodes := kubectlNodes(t, filepath.Join(filepath.Dir(inv), "kubeconfig"))
	if !nodes["off-1"].ready() || !nodes["off-2"].ready() {
		t.Fatalf("nodes not Ready: %v", nodes)
	}
	r = mustTool(t, "up", "-i", inv)
	if strings.Contains(r.stderr, "uploaded") || !strings.Contains(r.stderr, "0 changes on 2 hosts") {
		t.Errorf("re-run uploaded again or changed something:\n%s", r.stderr)
	}
}
