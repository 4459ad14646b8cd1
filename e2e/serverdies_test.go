//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFirstServerDies is issue 12's scenario 4 on a server and two agents:
// the server is powered off as the agents phase begins. The run fails
// (exit 1), its error naming the server's address; once the server is back,
// a re-run converges with every node Ready and no stray file on any host.
// Whether the agents were written a config.yaml depends on whether the
// power-off lands before the phase's check that every server is Ready (the
// unit test TestUpServerDiesBeforeAgents pins that check down); either way
// what is left on them must not break the re-run.
func TestFirstServerDies(t *testing.T) {
	t0 := time.Now()
	f := startFleet(t, "m4", 3, false)
	srv := f.Hosts[0]
	bundle := filepath.Join(t.TempDir(), "bundle")
	makeBundle(t, bundle, v1)
	cluster := fmt.Sprintf("install:\n  source: offline\n  bundle_dir: %s\ninstall_timeout: 30s\nready_timeout: 30s\n", bundle)
	names := []string{"m-srv", "m-a1", "m-a2"}
	inv := writeFile(t, "inventory.yml", inventory(f, cluster, specs(f.Hosts, names)))
	kc := filepath.Join(filepath.Dir(inv), "kubeconfig")

	r := actAt(t, "==> agents", func(*os.Process, func(string)) { hostAction(t, srv, f.Kill) }, "up", "-i", inv)
	t.Logf("up, m-srv off as the agents phase begins: exit %d, %s after; stderr:\n%s", r.code, r.took.Round(100*time.Millisecond), r.stderr)
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	if _, msg, _ := strings.Cut(r.stderr, "\nerror: "); !strings.Contains(msg, srv.Addr) {
		t.Errorf("the error does not name the server %s:\n%s", srv.Addr, msg)
	}
	for _, a := range f.Hosts[1:] {
		t.Logf("%s after the failed run: %s", a.Name, hostExec(t, f, a,
			"ls /etc/rancher/k3s/config.yaml 2>&1; systemctl is-enabled k3s-agent 2>&1; systemctl is-active k3s-agent 2>&1 || true"))
	}
	noStrays(t, f, "after the failed run", f.Hosts[1:]...)

	hostAction(t, srv, f.PowerOn)
	ctx, cancel := contextFor(2 * time.Minute)
	defer cancel()
	if _, err := f.WaitReady(ctx, srv, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	r = mustTool(t, "up", "-i", inv)
	t.Logf("the re-run: %s\n%s", r.took.Round(100*time.Millisecond), r.stderr)
	checkVersions(t, kubectlNodes(t, kc), names, v1)
	noStrays(t, f, "after the re-run", f.Hosts...)
	t.Logf("TestFirstServerDies took %s", time.Since(t0).Round(time.Second))
}
