package steps

import (
	"context"
	"slices"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
)

// firstServerPhase brings up the init server and waits for its API, then
// reads the node-token the other nodes join with. It has work when the first
// server's plan changes it, when its node-token is not known yet, or when
// another node will join or change with it.
func (r *run) firstServerPhase() fleet.Phase {
	first := r.servers[0]
	return fleet.Phase{
		Title: "first server",
		Select: fleet.Selected(func() []*fleet.Node { return r.servers[:1] }, func(*fleet.Node) bool {
			return r.joinToken == "" || slices.ContainsFunc(r.touched(), r.mayChange)
		}),
		Run: func(ctx context.Context, _ []*fleet.Node) error {
			if r.touch(first) {
				if err := r.ensureToken(); err != nil {
					return err
				}
				if err := r.ensureNode(ctx, first, first); err != nil {
					return err
				}
			}
			return r.readJoinToken(ctx)
		},
	}
}
