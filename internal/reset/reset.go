// Package reset undoes what `k3sup-pi up` did on the selected hosts: it
// drains and deletes their nodes while the cluster stays, runs k3s's uninstall
// scripts, removes k3sup-pi's files and, when asked, restores cmdline.txt.
package reset

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/kube"
	"github.com/k3sup-pi/k3sup-pi/internal/lock"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// Paths that `reset` looks at. The uninstall scripts are k3s's own; the rest
// is what k3sup-pi or k3s left behind.
const (
	rsServerUninstall = "/usr/local/bin/k3s-uninstall.sh"
	rsAgentUninstall  = "/usr/local/bin/k3s-agent-uninstall.sh"
	rsEtcRancher      = "/etc/rancher"
	rsEtcRancherK3s   = "/etc/rancher/k3s"
	rsEtcRancherNode  = "/etc/rancher/node" // the node password; k3s's uninstall script keeps it
	rsVarLibRancher   = "/var/lib/rancher"
	rsK3sDataDir      = "/var/lib/rancher/k3s"
)

// Options drive one `reset` run.
type Options struct {
	Inventory      *inventory.Inventory
	Dial           fleet.Dialer
	Log            fleet.Logger
	Hosts          []string // reset only these (see inventory.Matches: name, address or address:port); empty = every host
	RestoreCmdline bool     // undo up's cmdline.txt edit (planCmdlineRestore) and reboot
	DryRun         bool     // plan and report, change nothing
	// Confirm is asked, after planning and before any change, with the plan
	// (the hosts with something to reset, and the cmdline.txt lines before and
	// after); an error stops the run. nil = no question.
	Confirm func(plan *Result) error
	// Lock is the run lock taken on every host once connected; nil = none (--dry-run).
	Lock *lock.HostOptions
}

// Result is what a reset did (or, in a dry run, would do), per host in
// the order the hosts were reset.
type Result struct {
	Hosts []Host
}

// Host is one host's part of a reset.
type Host struct {
	Host    string
	Role    role.Role
	Node    string
	Actions []string // done, or planned when Pending; empty = already clean
	Pending bool     // Actions are planned, not done (a dry run, or a run that stopped first)
	// Cmdline is the planned cmdline.txt restore, with the line before and
	// after; nil when cmdline.txt is not touched.
	Cmdline *CmdlineRestore
}

// Changed counts the hosts with at least one action.
func (r *Result) Changed() int {
	n := 0
	for _, h := range r.Hosts {
		if len(h.Actions) > 0 {
			n++
		}
	}
	return n
}

// drainTimeout bounds the drain of a node that leaves a cluster that stays.
const drainTimeout = 120 * time.Second

// Run removes k3s and what k3sup-pi wrote from the selected hosts: agents
// first, in parallel, then servers one at a time with the init server last.
// When servers stay, each node is drained before and deleted after its uninstall.
func Run(ctx context.Context, opt Options) (*Result, error) {
	selected, staying, err := selectHosts(opt.Inventory, opt.Hosts)
	if err != nil {
		return nil, err
	}
	r := &resetter{opt: opt, plans: map[*fleet.Node]Plan{}, results: map[*fleet.Node]*Host{}}
	opt.Log.Phase("connect and gather facts")
	r.nodes, err = fleet.Connect(ctx, append(slices.Clone(selected), staying...), opt.Dial, opt.Inventory.Cluster.Concurrency)
	if err != nil {
		return nil, err
	}
	defer fleet.CloseAll(r.nodes)
	if err := fleet.Lock(ctx, opt.Lock, r.nodes, opt.Inventory.Cluster.Concurrency); err != nil {
		return nil, err
	}
	r.order = resetOrder(r.nodes[:len(selected)])
	r.cl = &kube.Client{Servers: r.nodes[len(selected):]}
	opt.Log.Phase("plan")
	if err := r.plan(ctx); err != nil {
		return nil, err
	}
	res := r.result()
	if opt.DryRun || res.Changed() == 0 {
		return res, nil
	}
	if opt.Confirm != nil {
		if err := opt.Confirm(res); err != nil {
			return nil, err
		}
	}
	err = r.apply(ctx)
	return r.result(), err
}

// selectHosts splits the inventory into the hosts to reset and the servers
// that stay (and keep the cluster). Hosts are told apart by their unique
// inventory Name, never by address (two hosts may share one on different
// ports); a name that selects no host or several is an *inventory.SelectError.
func selectHosts(inv *inventory.Inventory, names []string) (selected, staying []inventory.Host, err error) {
	if len(names) == 0 {
		return inv.Hosts, nil, nil
	}
	chosen, err := inv.Select(names)
	if err != nil {
		return nil, nil, fmt.Errorf("--host: %w", err)
	}
	want := map[string]bool{}
	for _, h := range chosen {
		want[h.Name()] = true
	}
	for _, h := range inv.Hosts {
		switch {
		case want[h.Name()]:
			selected = append(selected, h)
		case h.Role == role.Server:
			staying = append(staying, h)
		}
	}
	return selected, staying, nil
}

// resetOrder puts agents first, then servers in inventory order with the
// first (init) server last.
func resetOrder(nodes []*fleet.Node) []*fleet.Node {
	var agents, servers []*fleet.Node
	for _, n := range nodes {
		if n.Host.Role == role.Server {
			servers = append(servers, n)
		} else {
			agents = append(agents, n)
		}
	}
	if len(servers) > 1 {
		servers = append(servers[1:], servers[0])
	}
	return append(agents, servers...)
}

// plan probes every selected host and plans its reset; the cluster's nodes are
// read from a server that stays, when one runs k3s.
func (r *resetter) plan(ctx context.Context) error {
	view, err := r.view(ctx)
	if err != nil {
		return err
	}
	return fleet.ForEach(ctx, r.order, r.opt.Inventory.Cluster.Concurrency, func(ctx context.Context, n *fleet.Node) error {
		p, err := probeReset(ctx, n)
		if err != nil {
			return err
		}
		plan, err := planReset(n.Facts, p, n.NodeName(), view, r.opt.RestoreCmdline)
		if err != nil {
			return fmt.Errorf("%s: %w", n.Host.Name(), err)
		}
		if view.stays && !view.reachable && p.present[rsEtcRancherNode] {
			r.opt.Log.Warnf("%s: no server that stays runs k3s, so node %s stays in the cluster; %s is kept so that the host can rejoin under that name",
				n.Host.Name(), n.NodeName(), rsEtcRancherNode)
		}
		r.mu.Lock()
		r.plans[n] = plan
		r.mu.Unlock()
		return nil
	})
}

// result reports each host's actions: planned before apply, done after.
func (r *resetter) result() *Result {
	res := &Result{}
	for _, n := range r.order {
		h := Host{Host: n.Host.Name(), Role: n.Host.Role, Node: n.NodeName(), Actions: r.plans[n].Actions(), Cmdline: r.plans[n].Cmdline}
		h.Pending = len(h.Actions) > 0
		if done, ok := r.results[n]; ok {
			h.Actions, h.Pending = done.Actions, false
		}
		res.Hosts = append(res.Hosts, h)
	}
	return res
}

// apply resets agents (in parallel), then servers (one at a time), then
// reboots the hosts whose cmdline.txt was restored, all together.
func (r *resetter) apply(ctx context.Context) error {
	isServer := func(n *fleet.Node) bool { return n.Host.Role == role.Server }
	hasPlan := func(n *fleet.Node) bool { return !r.plans[n].Empty() }
	order := func() []*fleet.Node { return r.order }
	return fleet.RunPhases(ctx, r.opt.Log,
		fleet.Phase{Title: "reset agents", Select: fleet.Selected(order, func(n *fleet.Node) bool { return !isServer(n) && hasPlan(n) }),
			Run: func(ctx context.Context, nodes []*fleet.Node) error {
				return fleet.ForEach(ctx, nodes, r.opt.Inventory.Cluster.Concurrency, r.resetHost)
			}},
		fleet.Phase{Title: "reset servers", Select: fleet.Selected(order, func(n *fleet.Node) bool { return isServer(n) && hasPlan(n) }),
			Run: func(ctx context.Context, nodes []*fleet.Node) error {
				for _, n := range nodes {
					if err := r.resetHost(ctx, n); err != nil {
						return err
					}
				}
				return nil
			}},
		fleet.Phase{Title: "reboot (cmdline.txt restored)", Select: fleet.Selected(order, func(n *fleet.Node) bool { return r.plans[n].Cmdline.Changes() }),
			Run: r.reboot})
}
