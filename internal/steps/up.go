package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/lock"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// Options drive one `up` run.
type Options struct {
	Inventory       *inventory.Inventory
	Dial            fleet.Dialer
	Log             fleet.Logger
	DryRun          bool // plan and print, change nothing
	PreflightOnly   bool // run the checks and stop
	AllowLowMemory  bool // servers under 2 GB only warned
	WriteKubeconfig bool // write the cluster's kubeconfig to the inventory's path at the end
	// Lock is the run lock taken on every host once connected; nil = none
	// (--dry-run and --preflight-only change nothing and take no lock).
	Lock *lock.HostOptions
}

// Result is what a run did, per host.
type Result struct {
	Nodes      []*fleet.Node
	Down       []fleet.HostDown // agents not reached at all, left out of the run
	Failed     []AgentFailure   // agents that failed their join or upgrade, in inventory order
	Findings   []preflight.Finding
	Kubeconfig string // path written, "" when none
	Plans      []HostPlan
}

// HostPlan is the plan of one host, as shown by --dry-run.
type HostPlan struct {
	Host  string
	Role  role.Role
	Prep  PrepPlan
	K3s   K3sPlan
	Known bool // false when the k3s plan depends on a token that does not exist yet
}

// Up brings the inventory's hosts to a Ready cluster, changing only what differs.
func Up(ctx context.Context, opt Options) (*Result, error) {
	return up(ctx, opt, "")
}

// up runs `up`, or with only set (an inventory Name), `add-node` of that host.
func up(ctx context.Context, opt Options, only string) (*Result, error) {
	r, err := newRun(ctx, opt, only)
	if err != nil {
		return nil, err
	}
	defer fleet.CloseAll(r.nodes)
	if opt.PreflightOnly {
		return r.result, r.downError()
	}
	if only != "" {
		if err := r.checkJoin(ctx); err != nil {
			return r.result, err
		}
	}
	if err := r.plan(ctx); err != nil {
		return r.result, err
	}
	if opt.DryRun {
		return r.result, nil
	}
	err = fleet.RunPhases(ctx, opt.Log, r.preparePhase(), r.stagePhase(), r.firstServerPhase(), r.serversPhase(),
		r.serversFirst(r.agentsPhase()), r.readyPhase(), r.labelsPhase(), r.kubeconfigPhase())
	if err != nil && errors.Is(err, fleet.ErrInterrupted) {
		return r.result, &fleet.InterruptedError{NotStarted: r.notStarted(), Cause: err}
	}
	if err != nil {
		return r.result, err
	}
	if r.agentsErr != nil {
		return r.result, errors.Join(r.agentsErr, r.downError())
	}
	return r.result, r.downError()
}

// touch reports whether this run may change the node: add-node changes only
// its host (by its unique inventory Name: an address may be shared by hosts
// on other ports); the servers are still read. An agent that failed its join
// is not touched again in this run.
func (r *run) touch(n *fleet.Node) bool {
	return (r.only == "" || r.only == n.Host.Name()) && r.failed[n] == nil
}

// checkJoin refuses, before any change, a new host whose node name is taken in
// the cluster, or one that already runs k3s but is not a node of this cluster.
func (r *run) checkJoin(ctx context.Context) error {
	nodes, err := r.cl.Nodes(ctx, nil)
	if err != nil {
		return fmt.Errorf("read the cluster's nodes (is the cluster up?): %w", err)
	}
	var problems []preflight.Finding
	for _, n := range r.touched() {
		_, inCluster := nodes[n.NodeName()]
		switch {
		case n.Facts.K3sRole == "" && inCluster:
			problems = append(problems, refusal(n.Host.Name(), "the cluster already has a node named %q; give this host another `hostname:`", n.NodeName()))
		case n.Facts.K3sRole != "" && !inCluster:
			problems = append(problems, refusal(n.Host.Name(), "k3s %s already runs here but no node %q is in the cluster (joined elsewhere or under another name); run `k3sup-pi reset --host %s` first",
				n.Facts.K3sRole, n.NodeName(), n.Host.Name()))
		case n.Host.Role == role.Server && !inCluster:
			if msg := r.serverJoinProblem(nodes, n); msg != "" {
				problems = append(problems, refusal(n.Host.Name(), "%s", msg))
			}
		}
	}
	if len(problems) > 0 {
		return &RefusedError{Findings: problems}
	}
	return nil
}

// notStarted names the hosts whose planned work an interrupted run did not
// start: no preparation, or k3s never begun on them.
func (r *run) notStarted() []string {
	var out []string
	for _, n := range r.touched() {
		prep := len(n.Changes) == 0 && r.prep[n] != (PrepPlan{})
		if prep || (r.k3s[n].Changed() && !r.in.begun(n)) {
			out = append(out, n.Host.Name())
		}
	}
	return out
}
