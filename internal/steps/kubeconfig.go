package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/kubeconfig"
)

// FetchKubeconfig reads k3s.yaml from the first server that answers, in
// inventory order, and rebuilds it for use from outside (kubeconfig.Rewrite):
// entries named name, server address the API endpoint (else the server it was
// read from), and of k3s.yaml only the CA and the client certificate and key.
// A k3s.yaml holding anything else is refused, without trying the next
// server: it is a sign of a compromised or tampered board.
func FetchKubeconfig(ctx context.Context, inv *inventory.Inventory, dial fleet.Dialer, name string) ([]byte, error) {
	servers := inv.Servers()
	if len(servers) == 0 {
		return nil, errors.New("the inventory has no server to read the kubeconfig from")
	}
	var errs []error
	for _, h := range servers {
		y, err := readK3sYAML(ctx, h, dial)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		return kubeconfig.Rewrite(y, h.Name(), name, serverURLVia(inv, h))
	}
	return nil, fmt.Errorf("read the kubeconfig (is the cluster up? run `k3sup-pi up` first): %w", errors.Join(errs...))
}

// readK3sYAML reads /etc/rancher/k3s/k3s.yaml from one server.
func readK3sYAML(ctx context.Context, h inventory.Host, dial fleet.Dialer) ([]byte, error) {
	c, err := dial(ctx, h)
	if err != nil {
		return nil, err // the dialer's errors name the host (remote.Dial)
	}
	defer c.Close()
	return readRootFile(ctx, &fleet.Node{Host: h, Conn: c}, hostpath.K3sYAML)
}

// serverURLVia is the API endpoint, or when the inventory sets none, the
// server the kubeconfig was read from.
func serverURLVia(inv *inventory.Inventory, h inventory.Host) string {
	if inv.Cluster.APIEndpoint != "" {
		return inv.ServerURL()
	}
	return (&inventory.Inventory{Hosts: []inventory.Host{h}}).ServerURL()
}
