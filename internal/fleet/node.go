// Package fleet is the hosts of one run: each host's connection and facts
// (Node), and how a command acts on them, in parallel (ForEach) and in
// phases that touch only the hosts with work (Phase).
package fleet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"golang.org/x/sync/errgroup"
)

// Conn is what the engine needs from a connection to one host.
// *remote.Client satisfies it; unit tests use internal/fleettest.
type Conn interface {
	Name() string
	Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error)
	WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) (bool, error)
	Upload(ctx context.Context, localPath, remotePath string, mode fs.FileMode) (bool, error)
	Reboot(ctx context.Context, timeout time.Duration) error
	Close() error
}

// Dialer opens a Conn to an inventory host. Its errors name the host.
type Dialer func(ctx context.Context, h inventory.Host) (Conn, error)

// Logger receives progress; it goes to stderr, never stdout.
type Logger interface {
	Phase(name string)
	Hostf(host, format string, args ...any)
	Warnf(format string, args ...any)
}

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

// Note records a change on the node.
func (n *Node) Note(format string, args ...any) {
	n.Changes = append(n.Changes, fmt.Sprintf(format, args...))
}

// ForEach runs fn on every node with at most limit at a time and returns the
// errors of all nodes that failed, joined, so one bad host does not hide another.
// Once the user asked the run to stop (WithStop) it starts fn on no further
// node, lets the running ones finish and adds ErrInterrupted to the errors.
func ForEach(ctx context.Context, nodes []*Node, limit int, fn func(context.Context, *Node) error) error {
	if limit < 1 {
		limit = 1
	}
	var g errgroup.Group
	g.SetLimit(limit)
	errs := make([]error, len(nodes)+1)
	skipped := make([]bool, len(nodes))
	for i, n := range nodes {
		g.Go(func() error {
			if Stopped(ctx) != nil {
				skipped[i] = true
				return nil
			}
			errs[i] = fn(ctx, n)
			return nil
		})
	}
	_ = g.Wait()
	if slices.Contains(skipped, true) {
		errs[len(nodes)] = ErrInterrupted
	}
	return errors.Join(errs...)
}

// HostDown is an inventory host that could not be reached at all when the
// run started (powered off, off the network).
type HostDown struct {
	Host inventory.Host
	Err  error // why: the dial error, naming the host
}

// Connect dials every host (bounded) and gathers its facts. All failures are
// reported together, each naming its host once.
func Connect(ctx context.Context, hosts []inventory.Host, dial Dialer, limit int) ([]*Node, error) {
	nodes, _, err := ConnectSkipping(ctx, hosts, dial, limit, nil)
	return nodes, err
}

// ConnectSkipping is Connect, except that a host whose dial error skip
// accepts is left out of the nodes and returned in down instead.
func ConnectSkipping(ctx context.Context, hosts []inventory.Host, dial Dialer, limit int,
	skip func(inventory.Host, error) bool) (up []*Node, down []HostDown, err error) {
	nodes := make([]*Node, len(hosts))
	downErr := make([]error, len(hosts))
	for i, h := range hosts {
		nodes[i] = &Node{Host: h}
	}
	err = ForEach(ctx, nodes, limit, func(ctx context.Context, n *Node) error {
		c, err := dial(ctx, n.Host)
		if err != nil && skip != nil && skip(n.Host, err) {
			downErr[slices.Index(nodes, n)] = err
			return nil
		}
		if err != nil {
			return err // the dialer names the host (remote.Dial)
		}
		n.Conn = c
		return Gather(ctx, n)
	})
	if err != nil {
		CloseAll(nodes)
		return nil, nil, err
	}
	for i, n := range nodes {
		if downErr[i] != nil {
			down = append(down, HostDown{Host: n.Host, Err: downErr[i]})
		} else {
			up = append(up, n)
		}
	}
	return up, down, nil
}

// CloseAll closes every open connection.
func CloseAll(nodes []*Node) {
	for _, n := range nodes {
		if n.Conn != nil {
			_ = n.Conn.Close()
		}
	}
}

// Gather reads the host's facts in one remote command, as root so that the
// root-only files (config.yaml) can be hashed.
func Gather(ctx context.Context, n *Node) error {
	res, err := n.Conn.Run(ctx, remote.Script(facts.Script()).Root())
	if err != nil {
		return fmt.Errorf("gather facts: %w", err) // the remote error names the host
	}
	f, err := facts.Parse(res.Stdout)
	if err != nil {
		return fmt.Errorf("gather facts on %s: %w", n.Conn.Name(), err)
	}
	n.Facts = f
	return nil
}
