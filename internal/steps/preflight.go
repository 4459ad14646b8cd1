package steps

import (
	"context"
	"sort"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
)

// PreflightInput is what Preflight checks.
type PreflightInput struct {
	Inventory      *inventory.Inventory
	Nodes          []*fleet.Node // the hosts to check: those the run may change
	Servers        []*fleet.Node // every connected server, the targets of the reachability probes
	AllowLowMemory bool          // servers under 2 GB only warned
	Log            fleet.Logger
}

// Preflight runs, before any change, the checks of every host, of the fleet
// as a whole and of the paths between the hosts. Warnings are logged; errors
// come back as one *RefusedError listing them all, with every finding.
func Preflight(ctx context.Context, in PreflightInput) ([]preflight.Finding, error) {
	fs, err := runPreflight(in.Inventory, in.Nodes, in.AllowLowMemory, in.Log)
	rfs, rerr := checkReach(ctx, in)
	return append(fs, rfs...), joinRefused(err, rerr)
}

// runPreflight checks every host and the fleet as a whole; warnings are
// logged, errors stop the run before anything is changed.
func runPreflight(inv *inventory.Inventory, nodes []*fleet.Node, allowLowMemory bool, log fleet.Logger) ([]preflight.Finding, error) {
	ins := make([]preflight.Input, len(nodes))
	var all []preflight.Finding
	for i, n := range nodes {
		ins[i] = preflight.Input{Host: n.Host.Name(), Role: n.Host.Role, Facts: n.Facts,
			WantHostname: n.Host.Hostname, EmbeddedEtcd: inv.EmbeddedEtcd()}
		all = append(all, preflight.CheckHost(ins[i], preflight.Options{AllowLowMemory: allowLowMemory})...)
	}
	all = append(all, preflight.CheckFleet(ins)...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Host < all[j].Host })
	for _, f := range all {
		if f.Severity != preflight.Error {
			log.Warnf("%s", f.String())
		}
	}
	if errs := preflight.Errors(all); len(errs) > 0 {
		return all, &RefusedError{Findings: errs}
	}
	return all, nil
}
