package steps

import (
	"context"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
)

// stagePhase readies the installer (and offline, the binary) on every host
// that will install, all in parallel, before the first server starts.
func (r *run) stagePhase() fleet.Phase {
	return fleet.Phase{
		Title:  "stage k3s",
		Select: fleet.Selected(r.touched, func(n *fleet.Node) bool { return r.k3s[n].Install }),
		Run: func(ctx context.Context, nodes []*fleet.Node) error {
			return fleet.ForEach(ctx, nodes, r.inv.Cluster.Concurrency, r.in.stage)
		},
	}
}
