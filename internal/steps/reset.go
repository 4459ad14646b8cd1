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
	Hosts          []string // reset only these (see inventory.Matches: name, address or address:port); empty = every host
	RestoreCmdline bool     // undo up's cmdline.txt edit (planCmdlineRestore) and reboot
	DryRun         bool     // plan and report, change nothing
	// Confirm is asked, after planning and before any change, with the plan
	// (the hosts with something to reset, and the cmdline.txt lines before and
	// after); an error stops the run. nil = no question.
	Confirm func(plan *ResetResult) error
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
	// Cmdline is the planned cmdline.txt restore, with the line before and
	// after; nil when cmdline.txt is not touched.
	Cmdline *CmdlineRestore
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
	view, err := r.view(ctx)
	if err != nil {
		return err
	}
	return forEach(ctx, r.order, r.opt.Inventory.Cluster.Concurrency, func(ctx context.Context, n *Node) error {
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
func (r *reset) result() *ResetResult {
	res := &ResetResult{}
	for _, n := range r.order {
		h := ResetHost{Host: n.Host.Name(), Role: n.Host.Role, Node: n.NodeName(), Actions: r.plans[n].Actions(), Cmdline: r.plans[n].Cmdline}
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
	if p.DeletePassword != "" {
		if _, err := r.cl.kubectl(ctx, nil, "delete", "secret", "-n", "kube-system", "--ignore-not-found", p.DeletePassword); err != nil {
			return fmt.Errorf("delete secret %s: %w", p.DeletePassword, err)
		}
		done.Actions = append(done.Actions, "deleted secret kube-system/"+p.DeletePassword)
	}
	if p.Cmdline != nil {
		if err := restoreCmdline(ctx, n, p.Cmdline); err != nil {
			return err
		}
		done.Actions = append(done.Actions, p.Cmdline.Done())
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
		if r.plans[n].Cmdline.Changes() {
			todo = append(todo, n)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	r.opt.Log.Phase(fmt.Sprintf("reboot %d hosts (cmdline.txt restored)", len(todo)))
	return forEach(ctx, todo, r.opt.Inventory.Cluster.Concurrency, func(ctx context.Context, n *Node) error {
		if err := n.Conn.Reboot(ctx, r.opt.Inventory.Cluster.RebootTimeout); err != nil {
			return err // Reboot's errors name the host
		}
		r.mu.Lock()
		done := r.results[n]
		r.mu.Unlock()
		done.Actions = append(done.Actions, "rebooted")
		return nil
	})
}
