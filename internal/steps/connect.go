package steps

import (
	"sort"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
)

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
		msgs := make([]string, len(errs))
		for i, f := range errs {
			msgs[i] = strings.ReplaceAll(f.String(), "\n", "\n    ")
		}
		return all, &RefusedError{Findings: msgs}
	}
	return all, nil
}
