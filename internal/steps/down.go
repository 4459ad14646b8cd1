package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// connectSkipping connects as fleet.ConnectSkipping does; a refused host key
// or login (it needs the user, and nothing was changed anywhere) refuses the
// whole run.
func connectSkipping(ctx context.Context, hosts []inventory.Host, dial fleet.Dialer, limit int,
	skip func(inventory.Host, error) bool) ([]*fleet.Node, []fleet.HostDown, error) {
	up, down, err := fleet.ConnectSkipping(ctx, hosts, dial, limit, skip)
	if err != nil && remote.IsPermanent(err) {
		return nil, nil, &RefusedError{Findings: refusals(err)}
	}
	return up, down, err
}

// refusals are the findings of a joined error, one per error.
func refusals(err error) []preflight.Finding {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]preflight.Finding, len(errs))
	for i, e := range errs {
		out[i] = refusal("", "%v", e)
	}
	return out
}

// agentUnreachable tells which hosts `up` may leave out: agents that did not
// answer at all (no route, refused, no SSH handshake within the connect
// timeout). A host that answered but was refused (host key, login) needs the
// user, and a server is needed by the others; both stop the run.
func agentUnreachable(h inventory.Host, err error) bool {
	return h.Role != role.Server && remote.IsRetryable(err) && !remote.IsPermanent(err)
}

// DownError ends a run that finished every host it reached but left some
// out: the run failed (exit 1) and a later `up` finishes them.
type DownError struct{ Hosts []fleet.HostDown }

// Error names each host left out and why, and what to do.
func (e *DownError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of the inventory's hosts could not be reached and were left out (the others finished):", len(e.Hosts))
	for _, d := range e.Hosts {
		fmt.Fprintf(&b, "\n  %s: not reached: %v", d.Host.Name(), d.Err)
	}
	b.WriteString("\n  check that they are powered on and on the network, then run `up` again: it finishes them and changes nothing else")
	return b.String()
}

// downError is the run's DownError, nil when every host was reached.
func (r *run) downError() error {
	if len(r.result.Down) == 0 {
		return nil
	}
	return &DownError{Hosts: r.result.Down}
}
