// Package steps is the engine behind `k3sup-pi up` and friends: it connects to
// every host, gathers facts, plans what must change, and applies the plan in the
// order k3s needs (prepare, first server, further servers, agent batches, labels).
package steps

import (
	"context"
	"io/fs"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"golang.org/x/sync/errgroup"
)

// Conn is what the steps need from a connection to one host. *remote.Client
// satisfies it; unit tests use a fake.
type Conn interface {
	Name() string
	Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error)
	WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) (bool, error)
	Upload(ctx context.Context, localPath, remotePath string, mode fs.FileMode) (bool, error)
	Reboot(ctx context.Context, timeout time.Duration) error
	Close() error
}

// Dialer opens a Conn to an inventory host.
type Dialer func(ctx context.Context, h inventory.Host) (Conn, error)

// Node is one inventory host during a run: its connection, what it told us and
// what we changed on it.
type Node struct {
	Host    inventory.Host
	Conn    Conn
	Facts   facts.Facts
	Changes []string // what was (or, in a dry run, would be) changed, in order
}

// NodeName is the Kubernetes node name: the inventory hostname when given,
// the host's own hostname otherwise.
func (n *Node) NodeName() string {
	if n.Host.Hostname != "" {
		return n.Host.Hostname
	}
	return n.Facts.Hostname
}

// note records a change on the node.
func (n *Node) note(format string, args ...any) {
	n.Changes = append(n.Changes, sprintf(format, args...))
}

// forEach runs fn on every node with at most limit at a time and returns the
// errors of all nodes that failed, joined, so one bad host does not hide another.
func forEach(ctx context.Context, nodes []*Node, limit int, fn func(context.Context, *Node) error) error {
	if limit < 1 {
		limit = 1
	}
	var g errgroup.Group
	g.SetLimit(limit)
	errs := make([]error, len(nodes))
	for i, n := range nodes {
		g.Go(func() error {
			errs[i] = fn(ctx, n)
			return nil
		})
	}
	_ = g.Wait()
	return joinErrors(errs)
}
