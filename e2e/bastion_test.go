//go:build e2e

package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
)

// TestUpThroughBastion: the hosts accept SSH only from the fleet's bastion, so
// `up` must reach them with ssh.proxy_jump; the cluster comes up all the same.
func TestUpThroughBastion(t *testing.T) {
	f := startFleetOpts(t, fleet.Options{Name: "jump", N: 2, Mirror: true, Bastion: true})
	if f.Bastion == nil {
		t.Fatal("fleet has no bastion")
	}
	inv := inventory(f, onlineInstall(f), specs(f.Hosts, []string{"jump-1", "jump-2"}))
	direct := writeFile(t, "direct.yml", inv)
	if r := tool(t, nil, "up", "-i", direct); r.code == 0 || !strings.Contains(r.stderr, f.Hosts[0].Addr) {
		t.Fatalf("direct SSH should fail and name the host: exit %d\n%s", r.code, r.stderr)
	}
	inv = strings.Replace(inv, "ssh:\n  user: pi\n", "ssh:\n  user: pi\n  proxy_jump: pi@"+f.Bastion.Addr+"\n", 1)
	path := writeFile(t, "inventory.yml", inv)
	mustTool(t, "up", "-i", path)
	nodes := kubectlNodes(t, filepath.Join(filepath.Dir(path), "kubeconfig"))
	if !nodes["jump-1"].ready() || !nodes["jump-2"].ready() {
		t.Fatalf("nodes not Ready through the bastion: %v", nodes)
	}
}
