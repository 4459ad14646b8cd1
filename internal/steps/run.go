package steps

import (
	"context"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/kube"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// run is the state of one `up`: the hosts, their plans and the cluster secrets.
type run struct {
	opt       Options
	only      string // add-node: the inventory Name of the one host changed; "" = every host
	inv       *inventory.Inventory
	nodes     []*fleet.Node
	servers   []*fleet.Node // inventory order; the first is the init server
	agents    []*fleet.Node
	cl        *kube.Client
	in        *installer
	prep      map[*fleet.Node]PrepPlan
	k3s       map[*fleet.Node]K3sPlan
	running   map[string]string // node name -> the k3s version it reports to the cluster, read once at plan time
	token     string            // the cluster token written into the first server's config
	joinToken string            // the first server's node-token (K10<ca-hash>::server:<secret>)
	result    *Result
	failed    map[*fleet.Node]error // agents that failed their join or upgrade; left out of the later phases
	agentsErr *AgentsFailedError    // set by the agents phase when agents failed
}

// newRun validates the install source, connects to every host, gathers facts
// and runs preflight: after it, nothing has been changed anywhere.
func newRun(ctx context.Context, opt Options, only string) (*run, error) {
	in, err := newInstaller(opt.Inventory.Cluster)
	if err != nil {
		return nil, err
	}
	r := &run{opt: opt, only: only, inv: opt.Inventory, in: in, prep: map[*fleet.Node]PrepPlan{}, k3s: map[*fleet.Node]K3sPlan{}, result: &Result{}}
	opt.Log.Phase("connect and gather facts")
	nodes, down, err := connectSkipping(ctx, r.inv.Hosts, opt.Dial, r.inv.Cluster.Concurrency, agentUnreachable)
	if err != nil {
		return nil, err
	}
	if err := fleet.Lock(ctx, opt.Lock, nodes, r.inv.Cluster.Concurrency); err != nil {
		fleet.CloseAll(nodes)
		return nil, err
	}
	r.nodes = nodes
	r.result.Nodes = nodes
	r.result.Down = down
	for _, d := range down {
		opt.Log.Warnf("%s: not reached, left out of this run: %v", d.Host.Name(), d.Err)
	}
	for _, n := range nodes {
		if n.Host.Role == role.Server {
			r.servers = append(r.servers, n)
		} else {
			r.agents = append(r.agents, n)
		}
	}
	r.cl = &kube.Client{Servers: r.servers}
	opt.Log.Phase("preflight")
	r.result.Findings, err = Preflight(ctx, PreflightInput{Inventory: r.inv, Nodes: r.touched(), Servers: r.servers,
		AllowLowMemory: opt.AllowLowMemory, Log: opt.Log})
	if err != nil {
		fleet.CloseAll(nodes)
		return nil, err
	}
	return r, nil
}

// touched lists the nodes this run may change.
func (r *run) touched() []*fleet.Node {
	var out []*fleet.Node
	for _, n := range r.nodes {
		if r.touch(n) {
			out = append(out, n)
		}
	}
	return out
}

// plan computes every host's plan from its facts. Tokens that already exist
// are read (never created) so that a dry run on a healthy cluster shows no change.
func (r *run) plan(ctx context.Context) error {
	if err := r.readTokens(ctx); err != nil {
		return err
	}
	r.readRunning(ctx)
	var refused []preflight.Finding
	for _, n := range r.touched() {
		prep, err := PlanPrep(n.Facts, n.Host.Hostname)
		if err != nil {
			refused = append(refused, refusal(n.Host.Name(), "%v", err))
			continue
		}
		r.prep[n] = prep
		p, known, err := r.planK3s(n)
		if err != nil {
			refused = append(refused, refusal(n.Host.Name(), "%v", err))
			continue
		}
		r.k3s[n] = p
		r.result.Plans = append(r.result.Plans, HostPlan{Host: n.Host.Name(), Role: n.Host.Role, Prep: r.prep[n], K3s: p, Known: known})
	}
	if len(refused) > 0 {
		return &RefusedError{Findings: refused}
	}
	return nil
}

// planK3s plans k3s on one node; known is false when its config cannot be
// rendered yet (the token is created later in the run).
func (r *run) planK3s(n *fleet.Node) (K3sPlan, bool, error) {
	want := K3sWant{Role: n.Host.Role, Version: r.inv.Cluster.K3sVersion, BinaryHash: r.in.bundleHash,
		NodeVersion: r.running[n.NodeName()]}
	if r.in.bundleHash != "" {
		want.Version = ""
	}
	known := r.tokenFor(n) != ""
	if known {
		cfg, err := r.config(n)
		if err != nil {
			return K3sPlan{}, false, err
		}
		want.ConfigHash = hashBytes(cfg)
	}
	p, err := PlanK3s(n.Facts, want)
	return p, known, err
}

// readRunning learns the version each node runs from the cluster, when a
// server runs k3s: the facts tell what is on disk, this what runs. Without an
// answer the plan goes by the facts alone (and says so).
func (r *run) readRunning(ctx context.Context) {
	up := false
	for _, s := range r.servers {
		up = up || s.Facts.K3sRole == role.Server && s.Facts.ServiceActive
	}
	if !up {
		return
	}
	vs, err := r.cl.Versions(ctx)
	if err != nil {
		r.opt.Log.Warnf("cannot read the nodes' running versions, so a node whose binary was replaced without a restart is not found: %v", err)
		return
	}
	r.running = vs
}
