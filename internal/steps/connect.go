package steps

import (
	"context"
	"sort"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
)

// Logger receives progress; it goes to stderr, never stdout.
type Logger interface {
	Phase(name string)
	Hostf(host, format string, args ...any)
	Warnf(format string, args ...any)
}

// connect dials every host (bounded) and gathers its facts. All failures are
// reported together, each naming its host.
func connect(ctx context.Context, hosts []inventory.Host, dial Dialer, limit int) ([]*Node, error) {
	nodes := make([]*Node, len(hosts))
	for i, h := range hosts {
		nodes[i] = &Node{Host: h}
	}
	err := forEach(ctx, nodes, limit, func(ctx context.Context, n *Node) error {
		c, err := dial(ctx, n.Host)
		if err != nil {
			return err // the dialer's errors name the host (remote.Dial)
		}
		n.Conn = c
		return gather(ctx, n)
	})
	if err != nil {
		closeAll(nodes)
		return nil, err
	}
	return nodes, nil
}

// closeAll closes every open connection.
func closeAll(nodes []*Node) {
	for _, n := range nodes {
		if n.Conn != nil {
			_ = n.Conn.Close()
		}
	}
}

// runPreflight checks every host and the fleet as a whole; warnings are
// logged, errors stop the run before anything is changed.
func runPreflight(inv *inventory.Inventory, nodes []*Node, allowLowMemory bool, log Logger) ([]preflight.Finding, error) {
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
