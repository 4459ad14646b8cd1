package steps

import "context"

// serversPhase joins (or upgrades) the further servers one at a time, each
// Ready before the next, so etcd keeps its quorum.
func (r *run) serversPhase() Phase {
	return Phase{
		Title:  "further servers",
		Select: selected(func() []*Node { return r.servers[1:] }, r.mayChange),
		Run: func(ctx context.Context, nodes []*Node) error {
			for _, n := range nodes {
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
func (r *run) mayChange(n *Node) bool { return r.touch(n) && r.k3s[n].Changed() }
