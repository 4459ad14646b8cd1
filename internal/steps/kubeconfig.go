package steps

import (
	"context"
	"fmt"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/kubeconfig"
)

// FetchKubeconfig reads k3s.yaml from the first server and rewrites it for use
// from outside: server address = the API endpoint, entries named name.
func FetchKubeconfig(ctx context.Context, inv *inventory.Inventory, dial Dialer, name string) ([]byte, error) {
	first := inv.Servers()[0]
	c, err := dial(ctx, first)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", first.Name(), err)
	}
	defer c.Close()
	n := &Node{Host: first, Conn: c}
	y, err := readRootFile(ctx, n, kubeconfigK3s)
	if err != nil {
		return nil, fmt.Errorf("%w (is the cluster up? run `k3sup-pi up` first)", err)
	}
	r := &run{inv: inv, servers: []*Node{n}}
	return kubeconfig.Rewrite(y, name, r.serverURL())
}
