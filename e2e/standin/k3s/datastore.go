package main

import (
	"fmt"
	"os"
)

// errDifferentToken is how k3s refuses a server whose token is not the one
// its datastore was created with. k3s keeps its bootstrap data in the
// datastore under a key derived from the token (k3s-io/k3s,
// pkg/cluster/storage.go, getBootstrapKeyFromStorage): data found under
// another token's key fails the start with this message.
var errDifferentToken = usageError("starting kubernetes: preparing server: failed to bootstrap cluster data: " +
	"failed to reconcile with local datastore: bootstrap data already found and encrypted with different token")

// initialised reports whether this server already has a datastore: it was
// started before and wrote its token file.
func (s *server) initialised() bool {
	_, err := os.Stat(s.p.tokenFile())
	return err == nil
}

// resumeCluster starts from the local datastore, as k3s does once a server
// is initialised (k3s-io/k3s, pkg/cluster/bootstrap.go and cluster.go: an
// initialised server starts from its own data and does not join `server:`
// again). A configured token must carry the secret the datastore was
// created with (compared without the K10<ca-hash>::server: part, as k3s
// normalises tokens in pkg/clientaccess/token.go).
func (s *server) resumeCluster() error {
	b, err := os.ReadFile(s.p.tokenFile())
	if err != nil {
		return fmt.Errorf("starting kubernetes: preparing server: %w", err)
	}
	stored, err := parseToken(string(b))
	if err != nil {
		return fmt.Errorf("starting kubernetes: preparing server: %s: %w", s.p.tokenFile(), err)
	}
	if s.cfg.Token != "" {
		tok, err := parseToken(s.cfg.Token)
		if err != nil {
			return usagef("Error: %v", err)
		}
		if tok.secret != stored.secret {
			return errDifferentToken
		}
	}
	if s.ca, err = loadOrCreateCA(s.p); err != nil {
		return err
	}
	s.secret = stored.secret
	if s.cfg.Server != "" {
		logf("info", "Cluster data already initialised; not joining %s again", s.cfg.Server)
	}
	return nil
}
