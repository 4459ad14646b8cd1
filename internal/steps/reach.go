package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
)

// The reachability check (preflight/reach.go) run over the fleet: who
// probes whom, and the probes run, one command per source host.

// reachPair is one source host and the targets it must reach.
type reachPair struct {
	From    *fleet.Node
	Targets []preflight.ReachTarget
}

// checkReach runs the reachability probes, appends their findings to the
// run's result and returns a *RefusedError when a path is blocked.
func (r *run) checkReach(ctx context.Context) error {
	pairs := reachPairs(r.touched(), r.servers, r.endpointTarget())
	if len(pairs) == 0 {
		return nil
	}
	results := make([][]preflight.ProbeResult, len(pairs))
	byNode := make(map[*fleet.Node]int, len(pairs))
	nodes := make([]*fleet.Node, len(pairs))
	for i, p := range pairs {
		byNode[p.From] = i
		nodes[i] = p.From
	}
	_ = fleet.ForEach(ctx, nodes, r.inv.Cluster.Concurrency, func(ctx context.Context, n *fleet.Node) error {
		i := byNode[n]
		results[i] = probeFrom(ctx, pairs[i])
		return nil
	})
	var fs []preflight.Finding
	for i, p := range pairs {
		fs = append(fs, preflight.ReachFindings(p.From.Host.Name(), p.From.Host.Role, results[i])...)
	}
	return r.reportReach(fs)
}

// reportReach logs warnings, records every finding and refuses on errors.
func (r *run) reportReach(fs []preflight.Finding) error {
	r.result.Findings = append(r.result.Findings, fs...)
	var msgs []string
	for _, f := range fs {
		if f.Severity == preflight.Error {
			msgs = append(msgs, f.String())
		} else {
			r.opt.Log.Warnf("%s", f.String())
		}
	}
	if len(msgs) > 0 {
		return &RefusedError{Findings: msgs}
	}
	return nil
}

// endpointTarget is the inventory's API endpoint as a probe target, or nil.
func (r *run) endpointTarget() *preflight.ReachTarget {
	if r.inv.Cluster.APIEndpoint == "" {
		return nil
	}
	host, port := r.inv.Endpoint()
	return &preflight.ReachTarget{Name: "the API endpoint", Host: host, Port: port, Endpoint: true}
}

// reachPairs lists what each source must reach: agents reach every server and
// the endpoint; with several servers, each server reaches the others and the
// endpoint. One server and no agents (or a single host) needs no probe.
func reachPairs(sources, servers []*fleet.Node, endpoint *preflight.ReachTarget) []reachPair {
	var out []reachPair
	for _, n := range sources {
		var ts []preflight.ReachTarget
		for _, s := range servers {
			if s != n {
				ts = append(ts, preflight.ReachTarget{Name: s.Host.Name(), Host: s.Host.Address, Port: "6443"})
			}
		}
		if len(ts) == 0 {
			continue
		}
		if endpoint != nil && !sameTarget(ts, *endpoint) && (n.Host.Role != "server" || len(servers) > 1) {
			ts = append(ts, *endpoint)
		}
		out = append(out, reachPair{From: n, Targets: ts})
	}
	return out
}

// sameTarget tells whether ts already holds t's address and port.
func sameTarget(ts []preflight.ReachTarget, t preflight.ReachTarget) bool {
	for _, x := range ts {
		if x.Host == t.Host && x.Port == t.Port {
			return true
		}
	}
	return false
}

// probeFrom runs the probes of one source host and classifies them.
func probeFrom(ctx context.Context, p reachPair) []preflight.ProbeResult {
	res, err := p.From.Conn.Run(ctx, preflight.ProbeScript(p.Targets))
	if err != nil {
		return preflight.UnknownProbes(p.Targets, fmt.Sprintf("could not run the probe: %v", err))
	}
	if strings.TrimSpace(string(res.Stdout)) == "curl-missing" {
		return preflight.UnknownProbes(p.Targets, "curl is not installed on this host")
	}
	return preflight.ParseProbes(string(res.Stdout), p.Targets)
}

// joinRefused merges two outcomes of the preflight checks: two refusals become
// one listing every finding; any other error wins as it is.
func joinRefused(a, b error) error {
	ra, okA := a.(*RefusedError)
	rb, okB := b.(*RefusedError)
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case okA && okB:
		return &RefusedError{Findings: append(append([]string{}, ra.Findings...), rb.Findings...)}
	case !okA:
		return a
	}
	return b
}
