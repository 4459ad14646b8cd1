package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/kube"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// agentsPhase joins (or upgrades) the agents that need it, in batches of
// cluster.batch_size: every node of a batch Ready before the next starts.
// An agent whose install fails or that is not Ready in time fails alone: its
// batch finishes, and the next batch starts while no more agents failed than
// cluster.max_failures allows. The failed agents are left out of the later
// phases and the run ends with an *AgentsFailedError.
func (r *run) agentsPhase() fleet.Phase {
	return fleet.Phase{
		Title:  "agents",
		Select: fleet.Selected(func() []*fleet.Node { return r.agents }, r.mayChange),
		Run: func(ctx context.Context, todo []*fleet.Node) error {
			size := r.inv.Cluster.BatchSize
			limit := r.inv.Cluster.AgentFailureLimit(len(r.agents))
			for i := 0; i < len(todo); i += size {
				if err := fleet.Stopped(ctx); err != nil { // no new batch after Ctrl-C
					return err
				}
				if len(r.failed) > limit {
					r.result.Failed = r.failedAgents()
					r.agentsErr = &AgentsFailedError{Failed: r.result.Failed, Limit: limit, NotStarted: todo[i:]}
					return r.agentsErr
				}
				batch := todo[i:min(i+size, len(todo))]
				if err := r.agentBatch(ctx, batch, i/size+1); err != nil {
					return err
				}
			}
			if len(r.failed) > 0 {
				r.result.Failed = r.failedAgents()
				r.agentsErr = &AgentsFailedError{Failed: r.result.Failed, Limit: limit}
			}
			return nil
		},
	}
}

// agentBatch drains the nodes of a batch that upgrade, installs (or restarts)
// k3s on them in parallel, waits until all are Ready and uncordons them. A
// node whose install fails or that is not Ready in time goes to r.failed;
// the error is for what stops the whole run.
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
	drained := map[*fleet.Node]bool{}
	for _, n := range changed {
		if r.drains(n, r.k3s[n]) {
			if err := r.drain(ctx, n, nil); err != nil {
				return err
			}
			drained[n] = true
		}
	}
	want, err := r.installAgents(ctx, changed, cfgs)
	if err != nil {
		return err
	}
	if len(want) > 0 {
		r.opt.Log.Hostf("batch", "%d: waiting for %d nodes to be Ready", num, len(want))
		if err := r.waitAgents(ctx, changed, want); err != nil {
			return err
		}
	}
	for _, n := range changed {
		if drained[n] && r.failed[n] == nil {
			if err := r.uncordon(ctx, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// installAgents installs k3s on nodes in parallel and returns the node
// name -> version to wait for of those whose install succeeded; the others
// go to r.failed. A cancelled run is the error.
func (r *run) installAgents(ctx context.Context, nodes []*fleet.Node, cfgs map[*fleet.Node][]byte) (map[string]string, error) {
	want := map[string]string{}
	var mu sync.Mutex
	_ = fleet.ForEach(ctx, nodes, r.inv.Cluster.Concurrency, func(ctx context.Context, n *fleet.Node) error {
		v, err := r.in.ensureK3s(ctx, n, role.Agent, cfgs[n], r.k3s[n], r.inv.ServerURL())
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			r.fail(n, err)
		} else {
			want[n.NodeName()] = v
		}
		return nil
	})
	return want, ctx.Err()
}

// waitAgents waits until the nodes of want are Ready; the nodes of batch
// still missing after ready_timeout go to r.failed, each with why.
func (r *run) waitAgents(ctx context.Context, batch []*fleet.Node, want map[string]string) error {
	err := r.cl.WaitReady(ctx, want, r.inv.Cluster.ReadyTimeout, nil)
	var nr *kube.NotReadyError
	if err == nil || !errors.As(err, &nr) || ctx.Err() != nil {
		return err
	}
	why := nr.Why()
	for _, n := range batch {
		if w, ok := why[n.NodeName()]; ok {
			r.fail(n, fmt.Errorf("%s: node %s not Ready after %s (%s)", n.Host.Name(), n.NodeName(), nr.Timeout, w))
		}
	}
	return nil
}

// fail records that n failed with err (which names its host).
func (r *run) fail(n *fleet.Node, err error) {
	if r.failed == nil {
		r.failed = map[*fleet.Node]error{}
	}
	r.failed[n] = err
}

// failedAgents lists the failed agents in inventory order.
func (r *run) failedAgents() []AgentFailure {
	var out []AgentFailure
	for _, n := range r.agents {
		if err := r.failed[n]; err != nil {
			out = append(out, AgentFailure{Host: n.Host.Name(), Err: err})
		}
	}
	return out
}

// AgentFailure is one agent that failed its join or upgrade.
type AgentFailure struct {
	Host string
	Err  error // why; names the host
}

// AgentsFailedError ends a run in which agents failed: each is named with
// why. NotStarted are the agents of the batches never started because more
// agents failed than Limit (cluster.max_failures) allows.
type AgentsFailedError struct {
	Failed     []AgentFailure
	Limit      int
	NotStarted []*fleet.Node
}

// Error names each failed agent, the agents not started, and what to do.
func (e *AgentsFailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d agents failed (max_failures allows %d):", len(e.Failed), e.Limit)
	for _, f := range e.Failed {
		fmt.Fprintf(&b, "\n  %s", strings.ReplaceAll(f.Err.Error(), "\n", "\n    "))
	}
	if len(e.NotStarted) > 0 {
		names := make([]string, len(e.NotStarted))
		for i, n := range e.NotStarted {
			names[i] = n.Host.Name()
		}
		fmt.Fprintf(&b, "\n  later batches not started (%d agents): %s", len(names), strings.Join(names, ", "))
	}
	b.WriteString("\n  fix the failed agents, then run `up` again: it finishes them and changes nothing else")
	return b.String()
}
