//go:build e2e

package e2e

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
)

// listingScript is what reset must bring back: every path under the
// directories k3s and k3sup-pi write to, and cmdline.txt's bytes.
const listingScript = "find /etc /usr/local/bin /var/lib/rancher /var/lib/k3sup-pi /boot/firmware -xdev 2>/dev/null | sort; " +
	"sha256sum /boot/firmware/cmdline.txt"

// listingExcluded are paths whose presence differs for reasons outside
// k3sup-pi; each is named with the reason. Empty: nothing is excluded.
var listingExcluded = map[string]string{}

// TestResetLifecycle is issue 5's reset proof on 1 server + 2 agents: a dry
// run changes nothing; --host removes one agent from the running cluster and
// restarts no other node; a full reset --restore-cmdline brings every host's
// listing back to the one taken before up; a second reset is a no-op.
func TestResetLifecycle(t *testing.T) {
	f := startFleet(t, "rst3", 3, true)
	before := listings(t, f)
	names := []string{"rs-srv", "rs-a1", "rs-a2"}
	cluster := onlineInstall(f) + "k3s_version: " + v1 + "\n"
	inv := writeFile(t, "inventory.yml", inventory(f, cluster, specs(f.Hosts, names)))
	mustTool(t, "up", "-i", inv)
	kc := filepath.Join(filepath.Dir(inv), "kubeconfig")
	if n := len(kubectlNodes(t, kc)); n != 3 {
		t.Fatalf("after up: %d nodes, want 3", n)
	}

	testResetNeedsYes(t, f, inv)
	testResetOneAgent(t, f, inv, kc)
	mustTool(t, "up", "-i", inv) // the agent joins again under its old name
	if n := len(kubectlNodes(t, kc)); n != 3 {
		t.Fatalf("after the agent rejoined: %d nodes, want 3", n)
	}
	wantSecrets(t, kc, "secret/rs-a1.node-password.k3s", "secret/rs-a2.node-password.k3s", "secret/rs-srv.node-password.k3s")

	r := mustTool(t, "reset", "-i", inv, "--restore-cmdline", "--yes")
	t.Logf("reset --restore-cmdline of 3 hosts: %s\n%s", r.took.Round(100*time.Millisecond), r.stderr)
	if !strings.Contains(r.stderr, "3 of 3 hosts changed") {
		t.Errorf("reset should change 3 hosts:\n%s", r.stderr)
	}
	after := listings(t, f)
	for _, h := range f.Hosts {
		added, removed := diffLines(before[h], after[h])
		if len(added)+len(removed) > 0 {
			t.Errorf("%s: listing after reset differs from before up:\n added   %v\n removed %v", h.Name, added, removed)
		}
	}
	testSecondResetIsClean(t, f, inv)
}

// testResetNeedsYes: without a terminal and without --yes, reset refuses
// (exit 2) and changes nothing; --dry-run changes nothing either.
func testResetNeedsYes(t *testing.T, f *fleet.Fleet, inv string) {
	snap := snapshot(t, f)
	r := tool(t, nil, "reset", "-i", inv)
	if r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("reset without a terminal: exit %d, want 2 naming --yes\n%s", r.code, r.stderr)
	}
	r = mustTool(t, "reset", "-i", inv, "--restore-cmdline", "--dry-run")
	for _, want := range []string{"run k3s-uninstall.sh", "run k3s-agent-uninstall.sh", "reboot", "nothing was changed"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, r.stderr)
		}
	}
	if after := snapshot(t, f); after != snap {
		t.Errorf("refused or dry run changed hosts:\nbefore %s\nafter  %s", snap, after)
	}
}

// testResetOneAgent: reset --host of one agent drains and deletes its node
// while the cluster stays; no other node's service restarts.
func testResetOneAgent(t *testing.T, f *fleet.Fleet, inv, kc string) {
	starts := map[string]string{}
	for _, h := range f.Hosts {
		starts[h.Name] = serviceStart(t, f, h)
	}
	r := mustTool(t, "reset", "-i", inv, "--host", "rs-a2", "--yes")
	t.Logf("reset --host rs-a2: %s\n%s", r.took.Round(100*time.Millisecond), r.stderr)
	for _, want := range []string{"drained node rs-a2", "ran k3s-agent-uninstall.sh", "removed /etc/rancher/node", "deleted node rs-a2",
		"deleted secret kube-system/rs-a2.node-password.k3s", "1 of 1 hosts changed"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("reset --host output lacks %q", want)
		}
	}
	nodes := kubectlNodes(t, kc)
	if _, ok := nodes["rs-a2"]; ok || len(nodes) != 2 {
		t.Errorf("after reset --host rs-a2 the nodes are %v, want rs-srv and rs-a1", slices.Sorted(maps.Keys(nodes)))
	}
	// k3s's uninstall keeps /etc/rancher/node; reset removes it and, with the
	// node, its node-password secret, so the host can rejoin under its name.
	wantSecrets(t, kc, "secret/rs-a1.node-password.k3s", "secret/rs-srv.node-password.k3s")
	for _, h := range f.Hosts[:2] {
		if now := serviceStart(t, f, h); now != starts[h.Name] {
			t.Errorf("%s: k3s restarted by reset --host rs-a2 (%s -> %s)", h.Name, starts[h.Name], now)
		}
	}
	if out := hostExec(t, f, f.Hosts[2], "ls /usr/local/bin/k3s* /etc/rancher /var/lib/k3sup-pi 2>&1 || true"); strings.Contains(out, "k3s-agent") || !strings.Contains(out, "No such file") {
		t.Errorf("rs-a2 still has k3s files: %s", out)
	}
}

// testSecondResetIsClean: a reset of clean hosts says so and touches nothing
// (no reboot: the boot marker in /run survives).
func testSecondResetIsClean(t *testing.T, f *fleet.Fleet, inv string) {
	snap := cleanSnapshot(t, f)
	r := mustTool(t, "reset", "-i", inv, "--restore-cmdline", "--yes")
	if strings.Count(r.stderr, "already clean") != 3 || !strings.Contains(r.stderr, "0 of 3 hosts changed") {
		t.Errorf("second reset should find 3 clean hosts:\n%s", r.stderr)
	}
	if after := cleanSnapshot(t, f); after != snap {
		t.Errorf("second reset changed hosts:\nbefore %s\nafter  %s", snap, after)
	}
}

// cleanSnapshot is, per host, a boot marker in /run (gone after a reboot),
// the listing and cmdline.txt's mtime: what a reset of clean hosts must not move.
func cleanSnapshot(t *testing.T, f *fleet.Fleet) string {
	var b strings.Builder
	for _, h := range f.Hosts {
		hostExec(t, f, h, "test -e /run/e2e-boot-marker || date +%s%N > /run/e2e-boot-marker")
		b.WriteString(h.Name + ":\n" + hostExec(t, f, h, "cat /run/e2e-boot-marker; stat -c %Y /boot/firmware/cmdline.txt; "+listingScript) + "\n")
	}
	return b.String()
}

// listings records each host's listing.
func listings(t *testing.T, f *fleet.Fleet) map[*fleet.Host]string {
	out := map[*fleet.Host]string{}
	for _, h := range f.Hosts {
		out[h] = hostExec(t, f, h, listingScript)
	}
	return out
}

// diffLines lists the lines only in b (added) and only in a (removed),
// leaving out listingExcluded.
func diffLines(a, b string) (added, removed []string) {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			if _, skip := listingExcluded[l]; !skip {
				m[l] = true
			}
		}
		return m
	}
	am, bm := in(a), in(b)
	for l := range bm {
		if !am[l] {
			added = append(added, l)
		}
	}
	for l := range am {
		if !bm[l] {
			removed = append(removed, l)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}
