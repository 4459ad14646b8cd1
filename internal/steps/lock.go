package steps

import (
	"context"
	"io/fs"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/lock"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// lockNodes takes the run lock (a lease, see internal/lock) on every node,
// all or none, and wraps each connection: closing it releases the lease, and
// once another run took the lease over every command there fails. When it
// had to wait for another run, the facts are gathered again: that run may
// have changed the hosts. opt nil = no lock (read-only runs).
func lockNodes(ctx context.Context, opt *lock.HostOptions, nodes []*Node, limit int) error {
	if opt == nil {
		return nil
	}
	hosts := make([]lock.Host, len(nodes))
	for i, n := range nodes {
		hosts[i] = lock.Host{Name: n.Host.Name(), Conn: n.Conn}
	}
	leases, waited, err := lock.AcquireHosts(ctx, hosts, *opt)
	if err != nil {
		return err
	}
	for i, n := range nodes {
		n.Conn = &lockedConn{Conn: n.Conn, lease: leases[i]}
	}
	if !waited {
		return nil
	}
	return forEach(ctx, nodes, limit, gather)
}

// lockedConn is a Conn held under a lease.
type lockedConn struct {
	Conn
	lease *lock.Lease
}

func (c *lockedConn) Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error) {
	if err := c.lease.Err(); err != nil {
		return remote.Result{}, err
	}
	return c.Conn.Run(ctx, cmd)
}

func (c *lockedConn) WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) (bool, error) {
	if err := c.lease.Err(); err != nil {
		return false, err
	}
	return c.Conn.WriteFile(ctx, path, data, mode)
}

func (c *lockedConn) Upload(ctx context.Context, localPath, remotePath string, mode fs.FileMode) (bool, error) {
	if err := c.lease.Err(); err != nil {
		return false, err
	}
	return c.Conn.Upload(ctx, localPath, remotePath, mode)
}

func (c *lockedConn) Reboot(ctx context.Context, timeout time.Duration) error {
	if err := c.lease.Err(); err != nil {
		return err
	}
	return c.Conn.Reboot(ctx, timeout)
}

// Close releases the lease, then closes the connection.
func (c *lockedConn) Close() error {
	c.lease.Release()
	return c.Conn.Close()
}
