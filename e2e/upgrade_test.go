//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
	"github.com/k3sup-pi/k3sup-pi/e2e/standin"
)

// TestOfflineUpgradeThenStuckJoin, on one fleet (a server and two agents):
//
//  1. An offline bundle with v1, `up`; the bundle swapped for v2, `up`: every
//     node reports v2 through the real kubectl and every unit restarted; a
//     third `up` changes nothing; a binary replaced by hand without a restart
//     is restarted by the next `up` (issue 9, item 6).
//  2. An agent that can never join (reinstalled by hand while the cluster
//     keeps its node, so the server rejects its new node password and k3s
//     retries for ever): `up` stops its install at cluster.install_timeout
//     with the agent's last log lines and what to check, leaves no installer
//     running on it, and the other hosts are untouched (item 7).
func TestOfflineUpgradeThenStuckJoin(t *testing.T) {
	f := startFleet(t, "u1", 3, false)
	names := []string{"u-srv", "u-ag1", "u-ag2"}
	bundle := filepath.Join(t.TempDir(), "bundle")
	makeBundle(t, bundle, v1)
	offline := "install:\n  source: offline\n  bundle_dir: " + bundle + "\n"
	inv := writeFile(t, "inventory.yml", inventory(f, offline, specs(f.Hosts, names)))
	kc := filepath.Join(filepath.Dir(inv), "kubeconfig")
	mustTool(t, "up", "-i", inv)
	checkVersions(t, kubectlNodes(t, kc), names, v1)
	before := serviceStarts(t, f, f.Hosts)

	makeBundle(t, bundle, v2)
	r := mustTool(t, "up", "-i", inv)
	checkVersions(t, kubectlNodes(t, kc), names, v2)
	after := serviceStarts(t, f, f.Hosts)
	for i, h := range f.Hosts {
		if after[i] == before[i] {
			t.Errorf("%s: k3s unit not restarted by the upgrade (started at %s both times)", h.Name, after[i])
		}
	}
	if n := strings.Count(r.stderr, "installed k3s "); n != 3 || !strings.Contains(r.stderr, "installed k3s agent "+v2) {
		t.Errorf("want 3 installs onto %s in the summary:\n%s", v2, r.stderr)
	}
	r = mustTool(t, "up", "-i", inv)
	if !strings.Contains(r.stderr, "0 changes on 3 hosts") || !equal(serviceStarts(t, f, f.Hosts), after) {
		t.Errorf("third up changed something:\n%s", r.stderr)
	}

	// The same bytes copied over the binary by hand: k3s now runs a deleted
	// file, and up restarts it (only it).
	hostExec(t, f, f.Hosts[1], "cp /usr/local/bin/k3s /usr/local/bin/.k3s.new && mv -f /usr/local/bin/.k3s.new /usr/local/bin/k3s")
	r = mustTool(t, "up", "-i", inv)
	if !strings.Contains(r.stderr, "restarted k3s-agent "+v2+" (the running k3s is a binary replaced since it started)") {
		t.Errorf("a replaced binary was not restarted:\n%s", r.stderr)
	}
	now := serviceStarts(t, f, f.Hosts)
	for i, h := range f.Hosts {
		if restarted := now[i] != after[i]; restarted != (i == 1) {
			t.Errorf("%s: restarted=%v, want only %s restarted", h.Name, restarted, f.Hosts[1].Name)
		}
	}

	stuckJoin(t, f, names, offline, kc, now)
}

// stuckJoin reinstalls the last agent by hand so the server rejects it, then
// runs `up` with a 20 s install_timeout.
func stuckJoin(t *testing.T, f *fleet.Fleet, names []string, offline, kc string, starts []string) {
	const limit = 20 * time.Second
	ag := f.Hosts[2]
	hostExec(t, f, ag, "/usr/local/bin/k3s-agent-uninstall.sh >/dev/null 2>&1; rm -rf /var/lib/k3sup-pi /etc/rancher")
	inv := writeFile(t, "inventory.yml", inventory(f, offline+"install_timeout: 20s\n", specs(f.Hosts, names)))
	r := toolWithin(t, 3*time.Minute, "up", "-i", inv)
	t.Logf("up with a stuck agent: exit %d after %s; stderr:\n%s", r.code, r.took.Round(100*time.Millisecond), r.stderr)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"install k3s (agent) on " + ag.Addr + " did not finish within 20s (cluster.install_timeout) and was stopped; k3s-agent is activating",
		"last lines of `journalctl -u k3s-agent`:",
		"Node password rejected",
		"check: that " + ag.Addr + " reaches the server at https://" + f.Hosts[0].Addr + ":6443",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// The run took the bound, not much more: staging and the first steps are fast here.
	if r.took > limit+90*time.Second {
		t.Errorf("up took %s with install_timeout %s", r.took, limit)
	}
	if out, _ := f.Exec(context.Background(), ag, "pgrep -af '[i]nstall[.]sh|[s]ystemctl restart' || true"); strings.TrimSpace(out) != "" {
		t.Errorf("processes left running on %s after the timeout:\n%s", ag.Name, out)
	}
	now := serviceStarts(t, f, f.Hosts[:2])
	for i := range now {
		if now[i] != starts[i] {
			t.Errorf("%s restarted although only %s was stuck", f.Hosts[i].Name, ag.Name)
		}
	}
	checkVersions(t, kubectlNodes(t, kc), names[:2], v2)
}

// makeBundle (re)writes an offline bundle holding the stand-in of version.
func makeBundle(t *testing.T, dir, version string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := standin.Bundle(ctx, dir, version); err != nil {
		t.Fatalf("bundle %s: %v", version, err)
	}
}

// checkVersions wants every named node Ready on version, as kubectl shows it.
func checkVersions(t *testing.T, nodes map[string]kubeNode, names []string, version string) {
	t.Helper()
	for _, n := range names {
		if v := nodes[n].Status.NodeInfo.KubeletVersion; v != version || !nodes[n].ready() {
			t.Errorf("%s: version %q ready %v, want Ready on %s", n, v, nodes[n].ready(), version)
		}
	}
}

// serviceStarts is the k3s unit start time of each host, in order.
func serviceStarts(t *testing.T, f *fleet.Fleet, hosts []*fleet.Host) []string {
	t.Helper()
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = hostExec(t, f, h, "for u in k3s k3s-agent; do [ ! -e /etc/systemd/system/$u.service ] || systemctl show -p ActiveEnterTimestampMonotonic --value $u; done")
		if out[i] == "" || out[i] == "0" {
			t.Fatalf("%s: no k3s unit start time (%q)", h.Name, out[i])
		}
	}
	return out
}

func equal(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// toolWithin runs k3sup-pi like tool, but kills it after d: a run that
// hangs fails the test instead of blocking it.
func toolWithin(t *testing.T, d time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, toolBin, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("k3sup-pi %s still running after %s:\n%s", strings.Join(args, " "), d, r.stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run k3sup-pi: %v", err)
	}
	return r
}
