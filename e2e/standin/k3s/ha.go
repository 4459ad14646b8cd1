package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"time"
)

// bootstrapFrom joins an existing cluster: validate the token, fetch the
// CA and secret, and take over the node store of the first server.
func (s *server) bootstrapFrom(ctx context.Context) error {
	tok, err := parseToken(s.cfg.Token)
	if err != nil {
		return usagef("Error: %v", err)
	}
	c := newJoinClient(tok)
	base := normalizeURL(s.cfg.Server)
	if err := c.validate(ctx, base); err != nil {
		if isFatal(err) {
			return clusterError(base, err)
		}
		if _, statErr := os.Stat(s.p.serverCAKey()); statErr == nil {
			logf("warning", "Cannot reach %s (%v); starting from local cluster data", base, err)
			return s.initCluster()
		}
		return usagef("starting kubernetes: preparing server: %v", err)
	}
	var boot bootstrap
	code, msg, err := c.call(ctx, base, "/v1-k3s/server-bootstrap", map[string]string{"address": s.advertise}, &boot)
	if err != nil {
		return usagef("starting kubernetes: preparing server: failed to get bootstrap data: %v", err)
	}
	if code != http.StatusOK {
		return clusterError(base, usagef("%s/v1-k3s/server-bootstrap: %d %s", base, code, msg))
	}
	if err := storeCA(s.p, []byte(boot.CACert), []byte(boot.CAKey)); err != nil {
		return err
	}
	if s.ca, err = parseCA([]byte(boot.CACert), []byte(boot.CAKey)); err != nil {
		return err
	}
	s.secret = boot.Secret
	s.store.addServers(boot.Servers...)
	var snap persisted
	if code, _, err := c.call(ctx, base, "/v1-k3s/standin/sync?from="+url.QueryEscape(s.advertise), nil, &snap); err == nil && code == 200 {
		s.store.merge(snap)
	}
	logf("info", "Joined cluster at %s", base)
	return nil
}

// syncPeers pulls every other server's node store and merges it
// (last writer wins per node).
func (s *server) syncPeers(ctx context.Context) {
	if s.peers == nil {
		s.peers = newJoinClient(token{user: "server", secret: s.secret})
		s.peers.trust(s.ca.certPEM)
		s.peers.hc.Timeout = 1500 * time.Millisecond
	}
	c := s.peers
	for _, peer := range s.store.serverList() {
		if peer == s.advertise {
			continue
		}
		var snap persisted
		code, _, err := c.call(ctx, peer, "/v1-k3s/standin/sync?from="+url.QueryEscape(s.advertise), nil, &snap)
		if err != nil || code != http.StatusOK {
			continue
		}
		s.store.merge(snap)
	}
}

// merge takes every remote record newer than the local one; heartbeats
// always keep the latest time.
func (s *store) merge(p persisted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := s.addServersLocked(p.Servers)
	changed = s.mergeSecretsLocked(p.Secrets) || changed
	for _, rr := range p.Nodes {
		l, ok := s.nodes[rr.Name]
		if ok && l.Updated >= rr.Updated {
			if rr.Heartbeat.After(l.Heartbeat) {
				l.Heartbeat = rr.Heartbeat
			}
			continue
		}
		if ok && l.Heartbeat.After(rr.Heartbeat) {
			rr.Heartbeat = l.Heartbeat
		}
		typ := "MODIFIED"
		switch {
		case rr.Deleted:
			typ = "DELETED"
		case !ok || l.Deleted:
			typ = "ADDED"
		}
		s.nodes[rr.Name] = rr
		s.rv++
		rr.RV = s.rv
		s.notifyLocked(rr, typ)
		changed = true
	}
	if changed {
		if err := s.saveLocked(); err != nil {
			logf("error", "%v", err)
		}
	}
}
