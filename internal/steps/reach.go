package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// The reachability check (preflight/reach.go) run over the fleet: who
// probes whom, and the probes run, one command per source host.

// reachPair is one source host and the targets it must reach.
type reachPair struct {
	From    *fleet.Node
	Targets []preflight.ReachTarget
}

// checkReach runs the reachability probes from in.Nodes to in.Servers (and
// the API endpoint), logs the warnings, and returns every finding and a
// *RefusedError when a path is blocked.
func checkReach(ctx context.Context, in PreflightInput) ([]preflight.Finding, error) {
	pairs := reachPairs(in.Nodes, in.Servers, endpointTarget(in.Inventory))
	results := make([][]preflight.ProbeResult, len(pairs))
	byNode := make(map[*fleet.Node]int, len(pairs))
	nodes := make([]*fleet.Node, len(pairs))
	for i, p := range pairs {
		byNode[p.From] = i
		nodes[i] = p.From
	}
	_ = fleet.ForEach(ctx, nodes, in.Inventory.Cluster.Concurrency, func(ctx context.Context, n *fleet.Node) error {
		i := byNode[n]
		results[i] = probeFrom(ctx, pairs[i])
		return nil
	})
	var fs, errs []preflight.Finding
	for i, p := range pairs {
		for _, f := range preflight.ReachFindings(p.From.Host.Name(), p.From.Host.Role, results[i]) {
			fs = append(fs, f)
			if f.Severity == preflight.Error {
				errs = append(errs, f)
			} else {
				in.Log.Warnf("%s", f.String())
			}
		}
	}
	if len(errs) > 0 {
		return fs, &RefusedError{Findings: errs}
	}
	return fs, nil
}

// endpointTarget is the inventory's API endpoint as a probe target, or nil.
func endpointTarget(inv *inventory.Inventory) *preflight.ReachTarget {
	if inv.Cluster.APIEndpoint == "" {
		return nil
	}
	host, port := inv.Endpoint()
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
		if endpoint != nil && !sameTarget(ts, *endpoint) && (n.Host.Role != role.Server || len(servers) > 1) {
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
		return &RefusedError{Findings: append(append([]preflight.Finding{}, ra.Findings...), rb.Findings...)}
	case !okA:
		return a
	}
	return b
}
