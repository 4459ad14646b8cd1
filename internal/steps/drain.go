package steps

import (
	"context"
	"fmt"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
)

// drains reports whether a node is cordoned and drained before its change:
// only for a version change of an installed node, and only when asked.
func (r *run) drains(n *fleet.Node, p K3sPlan) bool {
	return r.inv.Cluster.DrainOnUpgrade && p.Install && n.Facts.K3sVersion != ""
}

// upgradeDrainTimeout bounds the drain before an upgrade: longer than
// reset's, pods get time to leave.
const upgradeDrainTimeout = 300 * time.Second

// drain drains a node before its upgrade and records it.
func (r *run) drain(ctx context.Context, n *fleet.Node, skip *fleet.Node) error {
	if err := r.cl.Drain(ctx, n.NodeName(), skip, upgradeDrainTimeout); err != nil {
		return fmt.Errorf("drain %s before its upgrade: %w", n.NodeName(), err)
	}
	n.Note("drained for the upgrade")
	return nil
}

// uncordon lets pods back onto a node once it is Ready on the new version.
func (r *run) uncordon(ctx context.Context, n *fleet.Node) error {
	if err := r.cl.Uncordon(ctx, n.NodeName()); err != nil {
		return fmt.Errorf("uncordon %s after its upgrade: %w", n.NodeName(), err)
	}
	n.Note("uncordoned")
	return nil
}
