package steps

import "context"

// firstServerPhase brings up the init server and waits for its API, then
// reads the node-token the other nodes join with. It has work when the first
// server's plan changes it, or when its node-token is not known yet.
func (r *run) firstServerPhase() Phase {
	first := r.servers[0]
	return Phase{
		Title: "first server",
		Select: selected(func() []*Node { return r.servers[:1] }, func(*Node) bool {
			return r.touch(first) && r.k3s[first].Changed() || r.joinToken == ""
		}),
		Run: func(ctx context.Context, _ []*Node) error {
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
