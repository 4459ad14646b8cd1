package steps

import (
	"context"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
)

// preparePhase sets hostnames, installs the vxlan module and patches
// cmdline.txt on every host whose plan asks for it, in parallel, then reboots
// the hosts that need it (see rebootAll) and verifies the memory cgroup. A
// host that fails does not stop the others; the phase returns all the
// failures at its end.
func (r *run) preparePhase() fleet.Phase {
	return fleet.Phase{
		Title:  "prepare hosts",
		Select: fleet.Selected(r.touched, func(n *fleet.Node) bool { return r.prep[n] != PrepPlan{} }),
		Run: func(ctx context.Context, nodes []*fleet.Node) error {
			if err := fleet.ForEach(ctx, nodes, r.inv.Cluster.Concurrency, r.prepareHost); err != nil {
				return err
			}
			return r.rebootAll(ctx)
		},
	}
}

// prepareHost applies one host's PrepPlan but the reboot.
func (r *run) prepareHost(ctx context.Context, n *fleet.Node) error {
	p := r.prep[n]
	if p.SetHostname != "" {
		if err := setHostname(ctx, n, p.SetHostname); err != nil {
			return err
		}
	}
	if p.VxlanModules {
		if err := ensureVxlan(ctx, n); err != nil {
			return err
		}
	}
	if p.PatchCmdline {
		return patchCmdline(ctx, n)
	}
	return nil
}
