package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// withArgs starts the node of p again (same root and address) with args.
func (p *proc) withArgs(t *testing.T, args ...string) *proc {
	t.Helper()
	p.stop(t)
	return start(t, "v1.31.4+k3s1", p.root, p.ip, p.env, args...)
}

// replaceArg returns args with the value after flag set to v.
func replaceArg(args []string, flag, v string) []string {
	out := append([]string(nil), args...)
	for i := range out {
		if out[i] == flag && i+1 < len(out) {
			out[i+1] = v
		}
	}
	return out
}

// TestTokenLockedToDatastore follows k3s-io/k3s pkg/cluster/storage.go
// (getBootstrapKeyFromStorage) and pkg/cluster/bootstrap.go: a server whose
// datastore exists refuses another token, accepts the same secret in full
// K10 form, and, once joined, does not join its `server:` again.
func TestTokenLockedToDatastore(t *testing.T) {
	c := newCluster(t)
	s := c.server("srv", nil, "--token", "first-secret")
	full := s.nodeToken(t)

	s = s.withArgs(t, replaceArg(s.args, "--token", "second-secret")...)
	re := regexp.MustCompile(`level=fatal msg="starting kubernetes: preparing server: failed to bootstrap cluster data: ` +
		`failed to reconcile with local datastore: bootstrap data already found and encrypted with different token"`)
	exited, err := s.exited(10 * time.Second)
	if !exited || err == nil || !re.MatchString(s.log.String()) {
		t.Fatalf("server with a new token: exited=%v err=%v, want a fatal error matching %s; log:\n%s", exited, err, re, s.log.String())
	}
	if strings.Contains(s.log.String(), "second-secret") || s.nodeToken(t) != full {
		t.Fatalf("the refused token reached the log or the node-token")
	}

	s = s.withArgs(t, replaceArg(s.args, "--token", full)...)
	if !s.ready(15 * time.Second) {
		t.Fatalf("server with its own token in K10 form not ready:\n%s", s.log.String())
	}

	// A joined server starts from its own data: pointed at another
	// cluster's server (whose token it does not hold), it still starts.
	j := c.server("joined", nil, "--server", s.url(), "--token", "first-secret")
	other := c.server("other", nil, "--token", "other-secret")
	j = j.withArgs(t, replaceArg(j.args, "--server", other.url())...)
	if !j.ready(15 * time.Second) {
		t.Fatalf("initialised joined server did not start from its own data:\n%s", j.log.String())
	}
	if got := j.nodeToken(t); got != full {
		t.Fatalf("joined server's node-token %q, want the cluster's %q", got, full)
	}
}
