package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/k3sup-pi/k3sup-pi/internal/redact"
	"golang.org/x/crypto/ssh"
)

// sudoMode is how a connection reaches root.
type sudoMode int

const (
	sudoUnknown sudoMode = iota
	sudoNone             // logged in as root
	sudoNoPassword
	sudoPassword
)

// Client is one host's SSH connection, reused for the whole run and
// re-established after a drop. It is safe for concurrent use.
type Client struct {
	target Target
	opts   Options
	ep     endpoint

	mu     sync.Mutex
	cur    *conn
	closed bool
	sudo   sudoMode
	// bootIDFile is where Reboot reads the kernel's boot id; "" = the real
	// one (tests point it elsewhere).
	bootIDFile string
}

// Name is the host's alias as the inventory wrote it.
func (c *Client) Name() string { return c.target.Alias }

// User is the login user.
func (c *Client) User() string { return c.ep.user }

// Close closes the connection and its jump hosts.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.cur != nil {
		c.cur.close()
		c.cur = nil
	}
	return nil
}

// live returns the current connection, reconnecting when it has dropped.
func (c *Client) live(ctx context.Context) (*conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("%s: client closed", c.Name())
	}
	if c.cur != nil && c.cur.alive() {
		return c.cur, nil
	}
	if c.cur != nil {
		c.cur.close()
		c.cur = nil
	}
	cn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.cur = cn
	return cn, nil
}

// drop forgets cn if it is still current, so the next call reconnects.
func (c *Client) drop(cn *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == cn {
		cn.close()
		c.cur = nil
	}
}

// session opens a session, reconnecting once when the connection is dead.
func (c *Client) session(ctx context.Context) (*ssh.Session, error) {
	for attempt := 0; ; attempt++ {
		cn, err := c.live(ctx)
		if err != nil {
			return nil, err
		}
		s, err := cn.client.NewSession()
		if err == nil {
			return s, nil
		}
		c.drop(cn)
		if attempt > 0 {
			return nil, fmt.Errorf("%s: open session: %w", c.Name(), errors.Join(errConnLost, err))
		}
	}
}

// exec runs command as is and collects its output; stderr is redacted.
func (c *Client) exec(ctx context.Context, command string, stdin []byte) (Result, error) {
	s, err := c.session(ctx)
	if err != nil {
		return Result{}, err
	}
	defer s.Close()
	var stdout, stderr bytes.Buffer
	s.Stdout, s.Stderr = &stdout, &stderr
	// stdin goes through a pipe of our own: a command may exit without reading
	// all of it (a reboot, a refused write), and its exit status, not a failed
	// write of data it did not want, is the command's result.
	in, err := s.StdinPipe()
	if err != nil {
		return Result{}, fmt.Errorf("%s: stdin: %w", c.Name(), err)
	}
	done := make(chan error, 1)
	if err := s.Start(command); err != nil {
		return Result{}, fmt.Errorf("%s: start command: %w", c.Name(), err)
	}
	go func() {
		_, _ = in.Write(stdin)
		_ = in.Close()
	}()
	go func() { done <- s.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = s.Signal(ssh.SIGKILL)
		_ = s.Close()
		return Result{}, fmt.Errorf("%s: %w", c.Name(), ctx.Err())
	}
	res := Result{Stdout: stdout.Bytes(), Stderr: redact.Bytes(stderr.Bytes())}
	var ee *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitStatus()
	case errors.As(err, &missing):
		return res, fmt.Errorf("%s: %w: command ended without exit status", c.Name(), errConnLost)
	default:
		return res, fmt.Errorf("%s: run command: %w", c.Name(), err)
	}
	return res, nil
}

// Run runs cmd.Script with `sh -c`, under sudo when cmd.Sudo is set and the
// user is not root. A non-zero exit returns the Result and an *ExitError.
func (c *Client) Run(ctx context.Context, cmd Cmd) (Result, error) {
	command := "sh -c " + shellQuote(cmd.Script)
	stdin := cmd.Stdin
	if cmd.Sudo {
		prefix, pw, err := c.sudoPrefix(ctx)
		if err != nil {
			return Result{}, err
		}
		marker := "k3sup-pi-stdin-" + randomSuffix()
		command = prefix + "sh -c " + shellQuote(guardStdin(cmd.Script, marker))
		stdin = sudoStdin(pw, marker, cmd.Stdin)
	}
	res, err := c.exec(ctx, command, stdin)
	if err != nil {
		return res, err
	}
	if cmd.Sudo && res.ExitCode == stdinGuardExit && strings.Contains(string(res.Stderr), stdinGuardMsg) {
		return res, c.sudoErr(ErrSudoStdin, []byte("the script found the password where its data should begin"))
	}
	if res.ExitCode != 0 {
		return res, newExitError(c.Name(), cmd.Label, res)
	}
	return res, nil
}

// shellQuote is ShellQuote, the package's own short name for it.
func shellQuote(s string) string { return ShellQuote(s) }

// ShellQuote quotes s for a POSIX shell: words of plain characters stay as
// they are, anything else is single-quoted, so no value can become syntax.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellJoin quotes words with ShellQuote and joins them with spaces: an argv
// for sh.
func ShellJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = ShellQuote(w)
	}
	return strings.Join(q, " ")
}

// uid asks the remote `id -u`.
func (c *Client) uid(ctx context.Context) (int, error) {
	res, err := c.exec(ctx, "id -u", nil)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(res.Stdout)))
	if res.ExitCode != 0 || err != nil {
		return 0, fmt.Errorf("%s: cannot tell the remote user id (id -u: %q)", c.Name(), redact.Bytes(res.Stdout))
	}
	return n, nil
}
