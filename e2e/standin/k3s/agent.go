package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"time"
)

// agent is one running k3s agent.
type agent struct {
	cfg     *Config
	p       paths
	id      identity
	c       *joinClient
	servers []string
	current int
}

// retryInterval is how often k3s retries a server it cannot use yet.
const retryInterval = 5 * time.Second

// validateRetry is how often a k3s agent validates its token again.
const validateRetry = 2 * time.Second

// heartbeatInterval is how often agents report their status.
const heartbeatInterval = 2 * time.Second

// runAgent joins the cluster and reports the node's status until ctx ends.
func runAgent(ctx context.Context, cfg *Config) error {
	logf("info", "Starting k3s agent %s (%s)", version, commit())
	id, err := loadIdentity(cfg)
	if err != nil {
		return err
	}
	tok, err := parseToken(cfg.Token)
	if err != nil {
		return usagef("Error: %v", err)
	}
	a := &agent{cfg: cfg, p: newPaths(cfg.DataDir), id: id, c: newJoinClient(tok)}
	a.servers = mergeServers([]string{normalizeURL(cfg.Server)}, a.loadServers())
	if err := a.connect(ctx); err != nil {
		return err
	}
	if err := a.register(ctx); err != nil {
		return err
	}
	notifyReady()
	logf("info", "k3s agent is up and running")
	return a.heartbeats(ctx)
}

func (a *agent) server() string { return a.servers[a.current%len(a.servers)] }

// wait pauses for the retry interval, or until ctx ends.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// connect validates the token against a server, retrying for ever like k3s:
// an unreachable server, a wrong secret and a CA hash that does not match
// are all logged at error level and tried again after validateRetry, and the
// agent never becomes ready (k3s-io/k3s pkg/agent/run.go,
// createProxyAndValidateToken: "Failed to validate connection to cluster at
// %s: %v", then a 2 s wait; the checks are pkg/clientaccess/token.go's).
// Under systemd (Type=notify, TimeoutStartSec=0) that blocks `systemctl
// start` and the installer until someone stops it.
func (a *agent) connect(ctx context.Context) error {
	for {
		err := a.c.validate(ctx, a.server())
		if err == nil {
			return nil
		}
		logf("error", "Failed to validate connection to cluster at %s: %v", a.server(), err)
		if !isFatal(err) {
			a.current++ // unreachable: try the next known server
		}
		if err := wait(ctx, validateRetry); err != nil {
			return err
		}
	}
}

// register announces the node; a name taken by another node (a different
// node password) keeps the agent waiting, as with k3s.
func (a *agent) register(ctx context.Context) error {
	reg := a.id.registration(a.cfg, baseLabels(a.id.name, false, false))
	for {
		var list serverList
		code, msg, err := a.c.call(ctx, a.server(), "/v1-k3s/standin/register", reg, &list)
		switch {
		case err != nil:
			logf("error", "failed to get CA certs: %v", err)
			a.current++
		case code == http.StatusOK:
			a.adopt(list.Servers)
			logf("info", "Node %s registered with %s", a.id.name, a.server())
			return nil
		case code == http.StatusUnauthorized:
			// k3s-io/k3s pkg/agent/config/config.go, Get: every failure to
			// retrieve the agent's config is logged and retried, never fatal.
			logf("error", "Failed to validate connection to cluster at %s: token is not valid: %s: 401 Unauthorized", a.server(), a.server())
		default:
			logf("info", "Waiting to retrieve agent configuration; server is not ready: %s", msg)
		}
		if err := wait(ctx, retryInterval); err != nil {
			return err
		}
	}
}

// heartbeats reports the node alive every heartbeatInterval and Ready once
// the start delay has passed, failing over between servers.
func (a *agent) heartbeats(ctx context.Context) error {
	readyAt := time.Now().Add(durationSetting(readyDelayEnv, 2*time.Second))
	ready := time.NewTimer(time.Until(readyAt))
	defer ready.Stop()
	tick := time.NewTicker(heartbeatInterval)
	defer tick.Stop()
	missing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ready.C:
		case <-tick.C:
		}
		var list serverList
		hb := heartbeatMsg{Name: a.id.name, Ready: !time.Now().Before(readyAt)}
		code, _, err := a.c.call(ctx, a.server(), "/v1-k3s/standin/heartbeat", hb, &list)
		switch {
		case err != nil && ctx.Err() == nil:
			logf("error", "Failed to connect to proxy %s: %v", a.server(), err)
			a.current++
		case code == http.StatusNotFound && !missing:
			logf("warning", "Node %s not found on the server; it registers again when k3s restarts", a.id.name)
			missing = true
		case code == http.StatusOK:
			a.adopt(list.Servers)
			missing = false
		}
	}
}

// adopt takes the server list from a server and remembers it on disk.
func (a *agent) adopt(servers []string) {
	cur := a.server()
	a.servers = mergeServers(a.servers, servers)
	for i, s := range a.servers {
		if s == cur {
			a.current = i
		}
	}
	b, _ := json.Marshal(map[string]any{"ServerURL": normalizeURL(a.cfg.Server), "ServerAddresses": a.servers})
	if err := writeFileAtomic(a.p.lbFile(), b, 0o600); err != nil {
		logf("warning", "%v", err)
	}
}

func (a *agent) loadServers() []string {
	b, err := os.ReadFile(a.p.lbFile())
	if err != nil {
		return nil
	}
	var lb struct{ ServerAddresses []string }
	if json.Unmarshal(b, &lb) != nil {
		return nil
	}
	return lb.ServerAddresses
}

func mergeServers(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, s := range b {
		found := false
		for _, have := range out {
			found = found || have == s
		}
		if !found {
			out = append(out, s)
		}
	}
	return out
}
