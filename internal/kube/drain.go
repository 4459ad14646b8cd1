package kube

import (
	"context"
	"fmt"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
)

// Drain cordons a node and evicts its pods (DaemonSet pods stay, emptyDir
// data goes), through a server other than skip. Upgrades and reset share it.
func (c *Client) Drain(ctx context.Context, node string, skip *fleet.Node, timeout time.Duration) error {
	_, err := c.Kubectl(ctx, skip, "drain", "--ignore-daemonsets", "--delete-emptydir-data",
		fmt.Sprintf("--timeout=%ds", int(timeout.Seconds())), node)
	return err
}

// Uncordon lets pods back onto a node.
func (c *Client) Uncordon(ctx context.Context, node string) error {
	_, err := c.Kubectl(ctx, nil, "uncordon", node)
	return err
}
