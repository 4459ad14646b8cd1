package steps

import (
	"context"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
)

// readyPhase waits (up to cluster.ready_timeout) until every node this run
// may change is Ready, the ones it left alone too: k3s that runs but whose
// node is not Ready (an agent that rejoined on its own after its network
// came back, a kubelet that stopped reporting) is no "Ready cluster",
// whatever the hosts' files say. It selects the nodes the cluster does not
// show Ready (all of them when it cannot be read): on a healthy cluster it
// is one API read, and no phase.
func (r *run) readyPhase() fleet.Phase {
	return fleet.Phase{
		Title: "every node Ready",
		Select: func(ctx context.Context) ([]*fleet.Node, error) {
			nodes, err := r.cl.Nodes(ctx, nil)
			var out []*fleet.Node
			for _, n := range r.touched() {
				if kn, ok := nodes[n.NodeName()]; err != nil || !ok || !kn.Ready {
					out = append(out, n)
				}
			}
			return out, nil
		},
		Run: func(ctx context.Context, nodes []*fleet.Node) error {
			want := map[string]string{}
			for _, n := range nodes {
				want[n.NodeName()] = ""
			}
			return r.cl.WaitReady(ctx, want, r.inv.Cluster.ReadyTimeout, nil)
		},
	}
}
