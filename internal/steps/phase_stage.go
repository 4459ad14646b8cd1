package steps

import "context"

// stagePhase readies the installer (and offline, the binary) on every host
// that will install, all in parallel, before the first server starts.
func (r *run) stagePhase() Phase {
	return Phase{
		Title:  "stage k3s",
		Select: selected(r.touched, func(n *Node) bool { return r.k3s[n].Install }),
		Run: func(ctx context.Context, nodes []*Node) error {
			return forEach(ctx, nodes, r.inv.Cluster.Concurrency, r.in.stage)
		},
	}
}
