package steps

import (
	"context"
	"fmt"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/lock"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
)

// Options drive one `up` (or `add-node`) run.
type Options struct {
	Inventory       *inventory.Inventory
	Dial            Dialer
	Log             Logger
	DryRun          bool     // plan and print, change nothing
	PreflightOnly   bool     // run the checks and stop
	AllowLowMemory  bool     // servers under 2 GB only warned
	Only            []string // add-node: change only these hosts (by their unique inventory Name); servers are still read
	WriteKubeconfig bool     // write the cluster's kubeconfig to the inventory's path at the end
	JoinCheck       bool     // add-node: refuse a host whose name the cluster already has, or that runs k3s under another name
	// Lock is the run lock taken on every host once connected; nil = none
	// (--dry-run and --preflight-only change nothing and take no lock).
	Lock *lock.HostOptions
}

// Result is what a run did, per host.
type Result struct {
	Nodes      []*Node
	Down       []HostDown // agents not reached at all, left out of the run
	Findings   []preflight.Finding
	Kubeconfig string // path written, "" when none
	Plans      []HostPlan
}

// HostPlan is the plan of one host, as shown by --dry-run.
type HostPlan struct {
	Host  string
	Role  string
	Prep  PrepPlan
	K3s   K3sPlan
	Known bool // false when the k3s plan depends on a token that does not exist yet
}

// Up brings the inventory's hosts to a Ready cluster, changing only what differs.
func Up(ctx context.Context, opt Options) (*Result, error) {
	r, err := newRun(ctx, opt)
	if err != nil {
		return nil, err
	}
	defer closeAll(r.nodes)
	if opt.PreflightOnly {
		return r.result, r.downError()
	}
	if opt.JoinCheck {
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
	for _, phase := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"prepare hosts", r.prepare},
		{"stage k3s", r.stage},
		{"first server", r.firstServer},
		{"further servers", r.moreServers},
		{"agents", r.agentBatches},
		{"every node Ready", r.allReady},
		{"labels and taints", r.labelAndTaint},
		{"kubeconfig", r.writeKubeconfig},
	} {
		start := time.Now()
		opt.Log.Phase(phase.name)
		if err := phase.fn(ctx); err != nil {
			return r.result, fmt.Errorf("%s: %w", phase.name, err)
		}
		r.timings = append(r.timings, fmt.Sprintf("%s %s", phase.name, time.Since(start).Round(time.Millisecond)))
	}
	return r.result, r.downError()
}

// touch reports whether this run may change the node (add-node limits it).
func (r *run) touch(n *Node) bool {
	if len(r.opt.Only) == 0 {
		return true
	}
	for _, name := range r.opt.Only {
		if name == n.Host.Name() { // unique; an address may be shared by hosts on other ports
			return true
		}
	}
	return false
}

// checkJoin refuses, before any change, a new host whose node name is taken in
// the cluster, or one that already runs k3s but is not a node of this cluster.
func (r *run) checkJoin(ctx context.Context) error {
	nodes, err := r.cl.nodes(ctx, nil)
	if err != nil {
		return fmt.Errorf("read the cluster's nodes (is the cluster up?): %w", err)
	}
	var problems []string
	for _, n := range r.touched() {
		_, inCluster := nodes[n.NodeName()]
		switch {
		case n.Facts.K3sRole == "" && inCluster:
			problems = append(problems, fmt.Sprintf("%s: the cluster already has a node named %q; give this host another `hostname:`", n.Host.Name(), n.NodeName()))
		case n.Facts.K3sRole != "" && !inCluster:
			problems = append(problems, fmt.Sprintf("%s: k3s %s already runs here but no node %q is in the cluster (joined elsewhere or under another name); run `k3sup-pi reset --host %s` first",
				n.Host.Name(), n.Facts.K3sRole, n.NodeName(), n.Host.Name()))
		case n.Host.Role == "server" && !inCluster:
			if msg := r.serverJoinProblem(nodes, n); msg != "" {
				problems = append(problems, msg)
			}
		}
	}
	if len(problems) > 0 {
		return &RefusedError{Findings: problems}
	}
	return nil
}
