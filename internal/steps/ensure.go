package steps

import (
	"context"
	"fmt"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
)

// ensureNode renders, plans and applies k3s on one node, then waits until it
// is Ready (on the wanted version). kubectl runs on a server other than skip.
func (r *run) ensureNode(ctx context.Context, n *fleet.Node, skip *fleet.Node) error {
	cfg, p, err := r.replan(n)
	if err != nil || !p.Changed() {
		return err
	}
	drain := r.drains(n, p)
	if drain {
		if err := r.drain(ctx, n, skip); err != nil {
			return err
		}
	}
	join := ""
	if n != r.servers[0] {
		join = r.inv.ServerURL()
	}
	v, err := r.in.ensureK3s(ctx, n, n.Host.Role, cfg, p, join)
	if err != nil {
		return err
	}
	if err := r.cl.WaitReady(ctx, map[string]string{n.NodeName(): v}, r.inv.Cluster.ReadyTimeout, skip); err != nil {
		return err
	}
	if drain {
		return r.uncordon(ctx, n)
	}
	return nil
}

// replan renders a node's config now that the tokens exist and plans k3s on
// it again; the plan made before the first server was up could not know the
// config's hash.
func (r *run) replan(n *fleet.Node) ([]byte, K3sPlan, error) {
	cfg, err := r.config(n)
	if err != nil {
		return nil, K3sPlan{}, err
	}
	p, _, err := r.planK3s(n)
	if err != nil {
		return nil, K3sPlan{}, fmt.Errorf("%s: %w", n.Host.Name(), err)
	}
	r.k3s[n] = p
	return cfg, p, nil
}
