package steps

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
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
	nodes, _, err := connectSkipping(ctx, hosts, dial, limit, nil)
	return nodes, err
}

// connectSkipping is connect, except that a host whose dial error skip
// accepts is left out of the nodes and returned in down instead. A refused
// host key or login (it needs the user, and nothing was changed anywhere)
// refuses the whole run.
func connectSkipping(ctx context.Context, hosts []inventory.Host, dial Dialer, limit int, skip func(inventory.Host, error) bool) ([]*Node, []HostDown, error) {
	nodes := make([]*Node, len(hosts))
	for i, h := range hosts {
		nodes[i] = &Node{Host: h}
	}
	downErr := make([]error, len(hosts))
	err := forEach(ctx, nodes, limit, func(ctx context.Context, n *Node) error {
		c, err := dial(ctx, n.Host)
		if err != nil && skip != nil && skip(n.Host, err) {
			downErr[slices.Index(nodes, n)] = err
			return nil
		}
		if err != nil {
			return fmt.Errorf("connect to %s: %w", n.Host.Name(), err)
		}
		n.Conn = c
		return gather(ctx, n)
	})
	if err != nil {
		closeAll(nodes)
		if remote.IsPermanent(err) {
			return nil, nil, &RefusedError{Findings: errorStrings(err)}
		}
		return nil, nil, err
	}
	var up []*Node
	var down []HostDown
	for i, n := range nodes {
		if downErr[i] != nil {
			down = append(down, HostDown{Host: n.Host, Err: downErr[i]})
		} else {
			up = append(up, n)
		}
	}
	return up, down, nil
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
