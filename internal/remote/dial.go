package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// conn is one live SSH connection and the jump connections beneath it.
type conn struct {
	client *ssh.Client
	jumps  []*ssh.Client
	dead   chan struct{} // closed when the connection is gone
}

func (c *conn) close() {
	_ = c.client.Close()
	for i := len(c.jumps) - 1; i >= 0; i-- {
		_ = c.jumps[i].Close()
	}
}

func (c *conn) alive() bool {
	select {
	case <-c.dead:
		return false
	default:
		return true
	}
}

// Dial connects to t, verifying its host key and authenticating, and
// returns a Client for the whole run.
func Dial(ctx context.Context, t Target, o Options) (*Client, error) {
	cfg, err := loadSSHConfig(o.SSHConfigFile)
	if err != nil {
		return nil, err
	}
	cfg.defaultUser = o.DefaultUser
	ep, err := resolve(t, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.Alias, err)
	}
	if o.InsecureIgnoreHostKeys {
		o.warn(fmt.Sprintf("WARNING: host key checking is OFF for %s (insecure option): anyone on the network path "+
			"can impersonate this host and read the sudo password and the cluster token", t.Alias))
	}
	c := &Client{target: t, opts: o, ep: ep}
	cn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.cur = cn
	return c, nil
}

// connect dials through the jump chain to the target. Credentials are
// gathered first, so a passphrase prompt does not eat the connect timeout.
func (c *Client) connect(ctx context.Context) (*conn, error) {
	hops := append(append([]endpoint(nil), c.ep.jumps...), c.ep)
	creds := make([]*credentials, 0, len(hops))
	defer func() {
		for _, cr := range creds {
			cr.close()
		}
	}()
	for _, ep := range hops {
		cr, err := gatherCredentials(ep, c.opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ep.alias, err)
		}
		creds = append(creds, cr)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.connectTimeout())
	defer cancel()
	var jumps []*ssh.Client
	var via *ssh.Client
	for i, ep := range hops {
		cl, err := c.hop(ctx, via, ep, creds[i])
		if err != nil && i < len(hops)-1 {
			err = fmt.Errorf("%s: via jump host %s: %w", c.ep.alias, ep.alias, err)
		}
		if err != nil {
			for j := len(jumps) - 1; j >= 0; j-- {
				_ = jumps[j].Close()
			}
			return nil, err
		}
		jumps = append(jumps, cl)
		via = cl
	}
	cl, jumps := jumps[len(jumps)-1], jumps[:len(jumps)-1]
	cn := &conn{client: cl, jumps: jumps, dead: make(chan struct{})}
	go func() {
		_ = cl.Wait()
		close(cn.dead)
	}()
	go keepAlive(cn, c.opts.keepAlive())
	return cn, nil
}

// hop opens a TCP connection to ep (directly or through via) and runs the
// SSH handshake on it.
func (c *Client) hop(ctx context.Context, via *ssh.Client, ep endpoint, cr *credentials) (*ssh.Client, error) {
	var nc net.Conn
	var err error
	if via == nil {
		var d net.Dialer
		nc, err = d.DialContext(ctx, "tcp", ep.addr())
	} else {
		nc, err = via.DialContext(ctx, "tcp", ep.addr())
	}
	if err != nil {
		return nil, fmt.Errorf("%s: connect %s: %w", ep.alias, ep.addr(), err)
	}
	cfg, err := c.clientConfig(ep, cr)
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	sc, chans, reqs, err := handshake(ctx, nc, ep.addr(), cfg)
	if err != nil {
		return nil, c.handshakeError(ep, cr, err)
	}
	return ssh.NewClient(sc, chans, reqs), nil
}

func (c *Client) clientConfig(ep endpoint, cr *credentials) (*ssh.ClientConfig, error) {
	cfg := &ssh.ClientConfig{User: ep.user, Timeout: c.opts.connectTimeout()}
	if len(cr.signers) > 0 {
		cfg.Auth = []ssh.AuthMethod{ssh.PublicKeys(cr.signers...)}
	}
	if c.opts.InsecureIgnoreHostKeys {
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey() // explicit insecure option, warned in Dial
		return cfg, nil
	}
	file, err := knownHostsPath(c.opts)
	if err != nil {
		return nil, err
	}
	hk := &hostKeyChecker{ep: ep, file: file, accept: c.opts.AcceptNewHostKeys}
	cfg.HostKeyCallback = hk.check
	cfg.HostKeyAlgorithms = hk.algorithms()
	return cfg, nil
}

// handshake runs the SSH handshake, bounded by ctx (the conn is closed
// when ctx ends first: channel-backed conns have no deadlines).
func handshake(ctx context.Context, nc net.Conn, addr string, cfg *ssh.ClientConfig) (ssh.Conn, <-chan ssh.NewChannel, <-chan *ssh.Request, error) {
	type result struct {
		c     ssh.Conn
		chans <-chan ssh.NewChannel
		reqs  <-chan *ssh.Request
		err   error
	}
	done := make(chan result, 1)
	go func() {
		c, ch, rq, err := ssh.NewClientConn(nc, addr, cfg)
		done <- result{c, ch, rq, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			_ = nc.Close()
		}
		return r.c, r.chans, r.reqs, r.err
	case <-ctx.Done():
		_ = nc.Close()
		<-done
		return nil, nil, nil, fmt.Errorf("ssh handshake with %s: %w", addr, ctx.Err())
	}
}

// handshakeError keeps typed host key errors and turns auth failures into
// an AuthError.
func (c *Client) handshakeError(ep endpoint, cr *credentials, err error) error {
	var hk *HostKeyError
	if errors.As(err, &hk) {
		return hk
	}
	if strings.Contains(err.Error(), "unable to authenticate") {
		return &AuthError{Host: ep.alias, User: ep.user, Tried: cr.tried, Notes: cr.notes, Err: err}
	}
	return fmt.Errorf("%s: ssh handshake: %w", ep.alias, err)
}

// keepAlive pings the server every interval and closes the connection
// when a ping gets no answer within two intervals.
func keepAlive(cn *conn, interval time.Duration) {
	if interval < 0 {
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-cn.dead:
			return
		case <-tick.C:
		}
		replied := make(chan error, 1)
		go func() {
			_, _, err := cn.client.SendRequest("keepalive@openssh.com", true, nil)
			replied <- err
		}()
		timer := time.NewTimer(2 * interval)
		select {
		case err := <-replied:
			timer.Stop()
			if err != nil {
				cn.close()
				return
			}
		case <-timer.C:
			cn.close()
			return
		case <-cn.dead:
			timer.Stop()
			return
		}
	}
}
