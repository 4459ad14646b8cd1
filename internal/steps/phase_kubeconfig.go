package steps

import (
	"context"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
	"github.com/k3sup-pi/k3sup-pi/internal/kubeconfig"
)

// kubeconfigPhase writes the cluster's kubeconfig (built by
// kubeconfig.Rewrite from the CA and client credentials of the first server's
// k3s.yaml alone, server the API endpoint, entries named after the cluster,
// 0600) when asked and not current. A k3s.yaml with anything else is refused,
// nothing written.
func (r *run) kubeconfigPhase() fleet.Phase {
	var out []byte
	return fleet.Phase{
		Title: "kubeconfig",
		Select: func(ctx context.Context) ([]*fleet.Node, error) {
			if !r.opt.WriteKubeconfig || r.inv.Cluster.Kubeconfig == "" {
				return nil, nil
			}
			y, err := readRootFile(ctx, r.servers[0], hostpath.K3sYAML)
			if err != nil {
				return nil, err
			}
			if out, err = kubeconfig.Rewrite(y, r.servers[0].Host.Name(), r.inv.Cluster.Name, r.inv.ServerURL()); err != nil {
				return nil, err
			}
			if same, _ := sameFile(r.inv.Cluster.Kubeconfig, out); same {
				return nil, nil
			}
			return r.servers[:1], nil
		},
		Run: func(context.Context, []*fleet.Node) error {
			if _, err := kubeconfig.WriteFile(r.inv.Cluster.Kubeconfig, out); err != nil {
				return err
			}
			r.result.Kubeconfig = r.inv.Cluster.Kubeconfig
			return nil
		},
	}
}
