package steps

import (
	"context"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
)

// serversPhase joins (or upgrades) the further servers one at a time, each
// Ready before the next, so etcd keeps its quorum.
func (r *run) serversPhase() fleet.Phase {
	return fleet.Phase{
		Title:  "further servers",
		Select: fleet.Selected(func() []*fleet.Node { return r.servers[1:] }, r.mayChange),
		Run: func(ctx context.Context, nodes []*fleet.Node) error {
			for _, n := range nodes {
				if err := fleet.Stopped(ctx); err != nil {
					return err
				}
				if err := r.ensureNode(ctx, n, n); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// mayChange tells whether the plan may change k3s on a node this run touches.
// A plan made before the token existed may say so wrongly; ensureNode plans
// again and does nothing then.
func (r *run) mayChange(n *fleet.Node) bool { return r.touch(n) && r.k3s[n].Changed() }
