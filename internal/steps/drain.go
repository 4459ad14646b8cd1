package steps

import (
	"context"
	"fmt"
)

// drains reports whether a node is cordoned and drained before its change:
// only for a version change of an installed node, and only when asked.
func (r *run) drains(n *Node, p K3sPlan) bool {
	return r.inv.Cluster.DrainOnUpgrade && p.Install && n.Facts.K3sVersion != ""
}

// drain cordons a node and evicts its pods, through a server other than skip.
func (c *cluster) drain(ctx context.Context, n *Node, skip *Node) error {
	if _, err := c.kubectl(ctx, skip, "drain", n.NodeName(), "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=300s"); err != nil {
		return fmt.Errorf("drain %s before its upgrade: %w", n.NodeName(), err)
	}
	n.note("drained for the upgrade")
	return nil
}

// uncordon lets pods back onto a node once it is Ready on the new version.
func (c *cluster) uncordon(ctx context.Context, n *Node) error {
	if _, err := c.kubectl(ctx, nil, "uncordon", n.NodeName()); err != nil {
		return fmt.Errorf("uncordon %s after its upgrade: %w", n.NodeName(), err)
	}
	n.note("uncordoned")
	return nil
}
