package steps

import (
	"context"
	"fmt"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
)

// serversFirst makes a phase that joins agents wait, before it touches any
// of them, until every server is Ready: a server that died after its own
// phase stops the run there, named, and leaves no agent configured to join
// a server that does not answer.
func (r *run) serversFirst(p fleet.Phase) fleet.Phase {
	join := p.Run
	p.Run = func(ctx context.Context, nodes []*fleet.Node) error {
		want := map[string]string{}
		for _, s := range r.servers {
			want[s.NodeName()] = ""
		}
		if err := r.cl.WaitReady(ctx, want, r.inv.Cluster.ReadyTimeout, nil); err != nil {
			return fmt.Errorf("no agent was touched, the servers must be Ready first (run `up` again once they are): %w", err)
		}
		return join(ctx, nodes)
	}
	return p
}
