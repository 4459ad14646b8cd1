package reset

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
)

// resetHost drains, uninstalls, cleans, deletes the node and restores
// cmdline.txt on one host, as its plan says.
func (r *resetter) resetHost(ctx context.Context, n *fleet.Node) error {
	p := r.plans[n]
	done := r.begin(n)
	if p.DrainNode != "" {
		start := time.Now()
		if err := r.cl.Drain(ctx, p.DrainNode, nil, drainTimeout); err != nil {
			return fmt.Errorf("drain %s: %w", p.DrainNode, err)
		}
		r.opt.Log.Hostf(n.Host.Name(), "node %s drained in %s", p.DrainNode, time.Since(start).Round(100*time.Millisecond))
		done.Actions = append(done.Actions, "drained node "+p.DrainNode)
	}
	if err := r.cleanup(ctx, n, p, done); err != nil {
		return err
	}
	if p.DeleteNode != "" {
		if _, err := r.cl.Kubectl(ctx, nil, "delete", "node", "--ignore-not-found", p.DeleteNode); err != nil {
			return fmt.Errorf("delete node %s: %w", p.DeleteNode, err)
		}
		done.Actions = append(done.Actions, "deleted node "+p.DeleteNode)
	}
	if p.DeletePassword != "" {
		if _, err := r.cl.Kubectl(ctx, nil, "delete", "secret", "-n", "kube-system", "--ignore-not-found", p.DeletePassword); err != nil {
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
func (r *resetter) begin(n *fleet.Node) *Host {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := &Host{}
	r.results[n] = h
	return h
}

// cleanup runs the uninstall scripts and removes the resetLeftovers in one command.
func (r *resetter) cleanup(ctx context.Context, n *fleet.Node, p Plan, done *Host) error {
	if len(p.Uninstall) == 0 && len(p.Remove) == 0 && len(p.RemoveEmpty) == 0 {
		return nil
	}
	start := time.Now()
	res, err := n.Conn.Run(ctx, cleanupCmd(p))
	if err != nil {
		return fmt.Errorf("uninstall k3s: %w", err) // the remote error names the host
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
func (r *resetter) reboot(ctx context.Context, nodes []*fleet.Node) error {
	return fleet.ForEach(ctx, nodes, r.opt.Inventory.Cluster.Concurrency, func(ctx context.Context, n *fleet.Node) error {
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
