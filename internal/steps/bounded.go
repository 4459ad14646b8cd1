package steps

import (
	"context"
	_ "embed" // bounded.sh, journal.sh
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/redact"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// step is one remote step that can block for ever: the installer and
// `systemctl start/restart` of the k3s units (Type=notify, TimeoutStartSec=0)
// wait for READY, which a k3s that cannot join never sends (k3s-io/k3s
// pkg/agent/run.go retries the server for ever). Every such step runs with
// a deadline, on the host and in the client.
type step struct {
	what  string        // "install k3s (agent)", "restart k3s-agent": named in errors
	unit  string        // the unit whose journal explains a timeout
	argv  []string      // the command, run as root
	hint  string        // what to check when it times out
	limit time.Duration // cluster.install_timeout
}

// journalLines is how many lines of the unit's journal a timeout shows.
const journalLines = 6

//go:embed bounded.sh
var boundedSh string

//go:embed journal.sh
var journalSh string

// bounded is the step's command wrapped in bounded.sh, so that the host
// itself ends it after limit.
func (s step) bounded() remote.Cmd {
	secs := max(int(s.limit.Round(time.Second)/time.Second), 1)
	c := remote.Script(boundedSh, append([]string{strconv.Itoa(secs)}, s.argv...)...).Root()
	c.Label = remote.Argv(s.argv...).Label // errors name the step's command, not the wrapper
	return c
}

// grace is how long after limit the client waits for the host's own timeout
// to answer before it kills the session itself.
func grace(limit time.Duration) time.Duration { return min(limit/10, 30*time.Second) }

// run runs the step on n. A step that outlives its limit is killed (on the
// host by timeout(1), and by closing the session) and reported with the
// unit's last journal lines and what to check.
func (s step) run(ctx context.Context, n *fleet.Node) error {
	sctx, cancel := context.WithTimeout(ctx, s.limit+grace(s.limit))
	defer cancel()
	start := time.Now()
	_, err := n.Conn.Run(sctx, s.bounded())
	switch {
	case err == nil:
		return nil
	case ctx.Err() == nil && timedOut(err, time.Since(start), s.limit):
		return s.timeoutError(ctx, n)
	}
	return fmt.Errorf("%s: %w", s.what, err) // the remote error names the host
}

// timedOut tells a step that hit its limit from one that failed: the
// client's deadline passed, or timeout(1) exited 124 (or the step died of
// its TERM/KILL once the limit was reached).
func timedOut(err error, took, limit time.Duration) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ee *remote.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	return ee.ExitCode == 124 || (ee.ExitCode == 137 || ee.ExitCode == 143) && took >= limit
}

// timeoutError reads what the unit last logged (bounded, best effort: the
// host may be the thing that is gone) and words the timeout.
func (s step) timeoutError(ctx context.Context, n *fleet.Node) error {
	e := &timeoutError{host: n.Conn.Name(), step: s.what, unit: s.unit, limit: s.limit, hint: s.hint}
	if s.unit == "" {
		return e
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	res, err := n.Conn.Run(dctx, remote.Script(journalSh, s.unit, strconv.Itoa(journalLines)).Root())
	if err != nil {
		e.journalErr = "could not read the journal: " + redact.Error(err)
		return e
	}
	for _, line := range strings.Split(strings.TrimSpace(redact.String(string(res.Stdout))), "\n") {
		if state, ok := strings.CutPrefix(line, "k3sup-pi-state="); ok {
			e.state = state
		} else if line = strings.TrimSpace(line); line != "" {
			e.journal = append(e.journal, clip(line, 300))
		}
	}
	if len(e.journal) > journalLines {
		e.journal = e.journal[len(e.journal)-journalLines:]
	}
	return e
}

// timeoutError is a remote step stopped at cluster.install_timeout.
type timeoutError struct {
	host, step, unit string
	limit            time.Duration
	state            string   // systemctl is-active of the unit afterwards
	journal          []string // its last journal lines, redacted
	journalErr       string
	hint             string
}

// Error names the host once, the step, what the unit said last and what to check.
func (e *timeoutError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s did not finish within %s (cluster.install_timeout) and was stopped", e.step, e.host, e.limit)
	if e.state != "" {
		fmt.Fprintf(&b, "; %s is %s", e.unit, e.state)
	}
	switch {
	case len(e.journal) > 0:
		fmt.Fprintf(&b, "\n  last lines of `journalctl -u %s`:", e.unit)
		for _, l := range e.journal {
			b.WriteString("\n    " + l)
		}
	case e.journalErr != "":
		b.WriteString("\n  " + e.journalErr)
	}
	if e.hint != "" {
		b.WriteString("\n  check: " + e.hint)
	}
	return b.String()
}

// Unwrap lets callers test for a deadline with errors.Is.
func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// clip shortens s to at most n bytes.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// joinHint is what to check when a k3s that joins a cluster never gets ready.
func joinHint(host, url string) string {
	return fmt.Sprintf("that %s reaches the server at %s (TCP port open, no firewall), that it joins with the cluster's token "+
		"(the first server's node-token), and that no other node has its name "+
		"(\"Node password rejected\" above: `kubectl delete node` frees a name left by an earlier install)", host, url)
}

// initHint is what to check when the first server never gets ready.
func initHint(host string) string {
	return fmt.Sprintf("why k3s did not start on %s: `sudo journalctl -u k3s` there (disk full, port 6443 in use, a bad server_config key)", host)
}
