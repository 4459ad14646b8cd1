package steps

import (
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// HostDown is an inventory host that could not be reached at all when the
// run started (powered off, off the network): `up` goes on without it.
type HostDown struct {
	Host inventory.Host
	Err  error // why: the dial error, naming the host
}

// agentUnreachable tells which hosts `up` may leave out: agents that did not
// answer at all (no route, refused, no SSH handshake within the connect
// timeout). A host that answered but was refused (host key, login) needs the
// user, and a server is needed by the others; both stop the run.
func agentUnreachable(h inventory.Host, err error) bool {
	return h.Role != inventory.RoleServer && remote.IsRetryable(err) && !remote.IsPermanent(err)
}

// DownError ends a run that finished every host it reached but left some
// out: the run failed (exit 1) and a later `up` finishes them.
type DownError struct{ Hosts []HostDown }

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
