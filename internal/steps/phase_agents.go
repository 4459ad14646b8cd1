package steps

import (
	"context"
	"sync"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// agentsPhase joins (or upgrades) the agents that need it, in batches of
// cluster.batch_size: every node of a batch Ready before the next starts.
func (r *run) agentsPhase() fleet.Phase {
	return fleet.Phase{
		Title:  "agents",
		Select: fleet.Selected(func() []*fleet.Node { return r.agents }, r.mayChange),
		Run: func(ctx context.Context, todo []*fleet.Node) error {
			size := r.inv.Cluster.BatchSize
			for i := 0; i < len(todo); i += size {
				if err := fleet.Stopped(ctx); err != nil { // no new batch after Ctrl-C
					return err
				}
				batch := todo[i:min(i+size, len(todo))]
				if err := r.agentBatch(ctx, batch, i/size+1); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// agentBatch drains the nodes of a batch that upgrade, installs (or restarts)
// k3s on them in parallel, waits until all are Ready and uncordons them.
func (r *run) agentBatch(ctx context.Context, batch []*fleet.Node, num int) error {
	cfgs := map[*fleet.Node][]byte{}
	var changed []*fleet.Node
	for _, n := range batch {
		cfg, p, err := r.replan(n)
		if err != nil {
			return err
		}
		if p.Changed() {
			cfgs[n] = cfg
			changed = append(changed, n)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	var drained []*fleet.Node
	for _, n := range changed {
		if r.drains(n, r.k3s[n]) {
			if err := r.drain(ctx, n, nil); err != nil {
				return err
			}
			drained = append(drained, n)
		}
	}
	want := map[string]string{}
	var mu sync.Mutex
	err := fleet.ForEach(ctx, changed, r.inv.Cluster.Concurrency, func(ctx context.Context, n *fleet.Node) error {
		v, err := r.in.ensureK3s(ctx, n, role.Agent, cfgs[n], r.k3s[n], r.inv.ServerURL())
		mu.Lock()
		want[n.NodeName()] = v
		mu.Unlock()
		return err
	})
	if err != nil {
		return err
	}
	r.opt.Log.Hostf("batch", "%d: waiting for %d nodes to be Ready", num, len(changed))
	if err := r.cl.WaitReady(ctx, want, r.inv.Cluster.ReadyTimeout, nil); err != nil {
		return err
	}
	for _, n := range drained {
		if err := r.uncordon(ctx, n); err != nil {
			return err
		}
	}
	return nil
}
