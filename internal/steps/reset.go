package steps

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/lock"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
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

// ResetOptions drive one `reset` run.
type ResetOptions struct {
	Inventory      *inventory.Inventory
	Dial           Dialer
	Log            Logger
	Hosts          []string // reset only these (inventory name or address); empty = every host
	RestoreCmdline bool     // put back cmdline.txt from k3sup-pi's backup and reboot
	DryRun         bool     // plan and report, change nothing
	// Confirm is asked, after planning and before any change, with the hosts
	// that have something to reset; an error stops the run. nil = no question.
	Confirm func(hosts []string) error
	// Lock is the run lock taken on every host once connected; nil = none (--dry-run).
	Lock *lock.HostOptions
}

// ResetResult is what a reset did (or, in a dry run, would do), per host in
// the order the hosts were reset.
type ResetResult struct {
	Hosts []ResetHost
}

// ResetHost is one host's part of a reset.
type ResetHost struct {
	Host    string
	Role    string
	Node    string
	Actions []string // done, or planned when Pending; empty = already clean
	Pending bool     // Actions are planned, not done (a dry run, or a run that stopped first)
}

// Changed counts the hosts with at least one action.
func (r *ResetResult) Changed() int {
	n := 0
	for _, h := range r.Hosts {
		if len(h.Actions) > 0 {
			n++
		}
	}
	return n
}

// Reset removes k3s and what k3sup-pi wrote from the selected hosts: agents
// first, in parallel, then servers one at a time with the init server last.
// When servers stay, each node is drained before and deleted after its uninstall.
func Reset(ctx context.Context, opt ResetOptions) (*ResetResult, error) {
	selected, staying, err := selectHosts(opt.Inventory, opt.Hosts)
	if err != nil {
		return nil, err
	}
	r := &reset{opt: opt, plans: map[*Node]ResetPlan{}, results: map[*Node]*ResetHost{}}
	opt.Log.Phase("connect and gather facts")
	r.nodes, err = connect(ctx, append(slices.Clone(selected), staying...), opt.Dial, opt.Inventory.Cluster.Concurrency)
	if err != nil {
		return nil, err
	}
	defer closeAll(r.nodes)
	if err := lockNodes(ctx, opt.Lock, r.nodes, opt.Inventory.Cluster.Concurrency); err != nil {
		return nil, err
	}
	r.order = resetOrder(r.nodes[:len(selected)])
	r.cl = &cluster{servers: r.nodes[len(selected):]}
	opt.Log.Phase("plan")
	if err := r.plan(ctx); err != nil {
		return nil, err
	}
	res := r.result()
	if opt.DryRun || res.Changed() == 0 {
		return res, nil
	}
	if opt.Confirm != nil {
		if err := opt.Confirm(r.changing()); err != nil {
			return nil, err
		}
	}
	err = r.apply(ctx)
	return r.result(), err
}

// selectHosts splits the inventory into the hosts to reset and the servers
// that stay (and keep the cluster); an unknown name is refused.
func selectHosts(inv *inventory.Inventory, names []string) (selected, staying []inventory.Host, err error) {
	if len(names) == 0 {
		return inv.Hosts, nil, nil
	}
	want := map[string]bool{}
	var unknown []string
	for _, name := range names {
		h, ok := inv.Host(name)
		if !ok {
			unknown = append(unknown, fmt.Sprintf("--host %s: no such host in %s", name, inv.File))
			continue
		}
		want[h.Address] = true
	}
	if len(unknown) > 0 {
		return nil, nil, &RefusedError{Findings: unknown}
	}
	for _, h := range inv.Hosts {
		switch {
		case want[h.Address]:
			selected = append(selected, h)
		case h.Role == inventory.RoleServer:
			staying = append(staying, h)
		}
	}
	return selected, staying, nil
}

// resetOrder puts agents first, then servers in inventory order with the
// first (init) server last.
func resetOrder(nodes []*Node) []*Node {
	var agents, servers []*Node
	for _, n := range nodes {
		if n.Host.Role == inventory.RoleServer {
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
func (r *reset) plan(ctx context.Context) error {
	members, err := r.members(ctx)
	if err != nil {
		return err
	}
	return forEach(ctx, r.order, r.opt.Inventory.Cluster.Concurrency, func(ctx context.Context, n *Node) error {
		p, err := probeReset(ctx, n)
		if err != nil {
			return err
		}
		_, in := members[n.NodeName()]
		plan, err := planReset(n.Facts, p, n.NodeName(), in, r.opt.RestoreCmdline)
		if err != nil {
			return fmt.Errorf("%s: %w", n.Host.Name(), err)
		}
		r.mu.Lock()
		r.plans[n] = plan
		r.mu.Unlock()
		return nil
	})
}

// members lists the cluster's nodes when servers stay and one of them runs
// k3s; nil when the whole cluster goes (nothing to drain or delete).
func (r *reset) members(ctx context.Context) (map[string]kubeNode, error) {
	running := slices.ContainsFunc(r.cl.servers, func(n *Node) bool { return n.Facts.ServiceActive })
	if !running {
		return nil, nil
	}
	nodes, err := r.cl.nodes(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("read the cluster's nodes from a server that stays: %w", err)
	}
	return nodes, nil
}

// changing names the hosts with something to reset.
func (r *reset) changing() []string {
	var out []string
	for _, n := range r.order {
		if !r.plans[n].Empty() {
			out = append(out, n.Host.Name())
		}
	}
	return out
}

// result reports each host's actions: planned before apply, done after.
func (r *reset) result() *ResetResult {
	res := &ResetResult{}
	for _, n := range r.order {
		h := ResetHost{Host: n.Host.Name(), Role: n.Host.Role, Node: n.NodeName(), Actions: r.plans[n].Actions()}
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
func (r *reset) apply(ctx context.Context) error {
	var agents, servers []*Node
	for _, n := range r.order {
		if n.Host.Role == inventory.RoleServer {
			servers = append(servers, n)
		} else {
			agents = append(agents, n)
		}
	}
	if len(agents) > 0 {
		r.opt.Log.Phase("reset agents")
	}
	if err := forEach(ctx, agents, r.opt.Inventory.Cluster.Concurrency, r.resetHost); err != nil {
		return err
	}
	if len(servers) > 0 {
		r.opt.Log.Phase("reset servers")
	}
	for _, n := range servers {
		if err := r.resetHost(ctx, n); err != nil {
			return err
		}
	}
	return r.reboot(ctx)
}

// resetHost drains, uninstalls, cleans, deletes the node and restores
// cmdline.txt on one host, as its plan says.
func (r *reset) resetHost(ctx context.Context, n *Node) error {
	p := r.plans[n]
	if p.Empty() {
		return nil
	}
	done := r.begin(n)
	if p.DrainNode != "" {
		start := time.Now()
		if err := r.cl.drainNode(ctx, p.DrainNode, nil, resetDrainTimeout); err != nil {
			return fmt.Errorf("drain %s: %w", p.DrainNode, err)
		}
		r.opt.Log.Hostf(n.Host.Name(), "node %s drained in %s", p.DrainNode, time.Since(start).Round(100*time.Millisecond))
		done.Actions = append(done.Actions, "drained node "+p.DrainNode)
	}
	if err := r.cleanup(ctx, n, p, done); err != nil {
		return err
	}
	if p.DeleteNode != "" {
		if _, err := r.cl.kubectl(ctx, nil, "delete", "node", "--ignore-not-found", p.DeleteNode); err != nil {
			return fmt.Errorf("delete node %s: %w", p.DeleteNode, err)
		}
		done.Actions = append(done.Actions, "deleted node "+p.DeleteNode)
	}
	if p.RestoreCmdline != "" {
		if _, err := n.Conn.Run(ctx, remote.Cmd{Script: restoreCmdlineScript(p.RestoreCmdline), Sudo: true}); err != nil {
			return fmt.Errorf("restore %s on %s: %w", p.RestoreCmdline, n.Conn.Name(), err)
		}
		done.Actions = append(done.Actions, "restored "+p.RestoreCmdline)
	}
	return nil
}

// begin records that a host's reset began and returns where its actions go.
func (r *reset) begin(n *Node) *ResetHost {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := &ResetHost{}
	r.results[n] = h
	return h
}

// cleanup runs the uninstall scripts and removes the resetLeftovers in one command.
func (r *reset) cleanup(ctx context.Context, n *Node, p ResetPlan, done *ResetHost) error {
	if len(p.Uninstall) == 0 && len(p.Remove) == 0 && len(p.RemoveEmpty) == 0 {
		return nil
	}
	start := time.Now()
	res, err := n.Conn.Run(ctx, remote.Cmd{Script: resetCleanupScript(p), Sudo: true})
	if err != nil {
		return fmt.Errorf("uninstall k3s on %s: %w", n.Conn.Name(), err)
	}
	r.opt.Log.Hostf(n.Host.Name(), "k3s uninstalled and leftovers removed in %s", time.Since(start).Round(100*time.Millisecond))
	kept := map[string]bool{}
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		if d, ok := strings.CutPrefix(line, "kept "); ok {
			kept[d] = true
			r.opt.Log.Warnf("%s: %s is not empty after the uninstall; kept", n.Host.Name(), d)
		}
	}
	for _, s := range p.Uninstall {
		done.Actions = append(done.Actions, "ran "+path.Base(s))
	}
	for _, s := range p.Remove {
		done.Actions = append(done.Actions, "removed "+s)
	}
	for _, d := range p.RemoveEmpty {
		if !kept[d] {
			done.Actions = append(done.Actions, "removed empty "+d)
		}
	}
	return nil
}

// reboot reboots the hosts whose cmdline.txt was restored, together, and
// waits until each is back.
func (r *reset) reboot(ctx context.Context) error {
	var todo []*Node
	for _, n := range r.order {
		if r.plans[n].RestoreCmdline != "" {
			todo = append(todo, n)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	r.opt.Log.Phase(fmt.Sprintf("reboot %d hosts (cmdline.txt restored)", len(todo)))
	return forEach(ctx, todo, r.opt.Inventory.Cluster.Concurrency, func(ctx context.Context, n *Node) error {
		if err := n.Conn.Reboot(ctx, r.opt.Inventory.Cluster.RebootTimeout); err != nil {
			return fmt.Errorf("reboot %s: %w", n.Conn.Name(), err)
		}
		r.mu.Lock()
		done := r.results[n]
		r.mu.Unlock()
		done.Actions = append(done.Actions, "rebooted")
		return nil
	})
}
