package steps

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
)

// testFleet is a fake fleet of fresh Pis (no hostname set, no cgroup flags,
// no k3s) for the named hosts: "s" names are servers, "a" names agents, in
// the order given.
type testFleet struct {
	*fleettest.Fleet
	t      *testing.T
	names  []string
	addr   map[string]string // name -> address
	config string            // cluster: keys for the inventory
	dir    string
}

func newTestFleet(t *testing.T, config string, names ...string) *testFleet {
	f := &testFleet{Fleet: fleettest.New(t), t: t, addr: map[string]string{}, config: config, dir: t.TempDir()}
	for _, n := range names {
		f.add(n)
	}
	return f
}

// add puts a fresh Pi named name into the fleet (and the inventory).
func (f *testFleet) add(name string) {
	addr := name // a DNS name: the fake host's Name is its address, as the real client names a host after its inventory name
	f.names = append(f.names, name)
	f.addr[name] = addr
	f.Add(addr, fleettest.Fixture(f.t, "pi4-bookworm-arm64.txt"))
}

// inventory is the fleet's inventory, with the cluster keys given.
func (f *testFleet) inventory() *inventory.Inventory {
	f.t.Helper()
	return fleettest.Inventory(f.t, f.dir, f.config, f.names...)
}

// up runs Up against the fleet and fails the test on an error.
func (f *testFleet) up(opt Options) *Result {
	f.t.Helper()
	opt.Inventory = f.inventory()
	opt.Dial = func(ctx context.Context, h inventory.Host) (fleet.Conn, error) { return f.Dial(ctx, h.Address) }
	opt.Log = &fleettest.Log{}
	res, err := Up(context.Background(), opt)
	if err != nil {
		f.t.Fatalf("up: %v\nevents:\n%s", err, strings.Join(f.lines(), "\n"))
	}
	return res
}

// lines is every event as "name: what", host addresses replaced by names.
func (f *testFleet) lines() []string {
	var out []string
	for _, e := range f.Events() {
		out = append(out, f.named(e.String()))
	}
	return out
}

// changing is the changing events as "name: what".
func (f *testFleet) changing() []string {
	var out []string
	for _, s := range f.Changing() {
		out = append(out, f.named(s))
	}
	return out
}

func (f *testFleet) named(s string) string {
	for n, a := range f.addr {
		if rest, ok := strings.CutPrefix(s, a+": "); ok {
			return n + ": " + rest
		}
	}
	return s
}

// index is the position of the first event equal to want, -1 when none.
func index(lines []string, want string) int { return slices.Index(lines, want) }

// before fails the test unless every event of firsts precedes every event of thens.
func before(t *testing.T, lines []string, firsts, thens []string) {
	t.Helper()
	for _, a := range firsts {
		ia := index(lines, a)
		if ia < 0 {
			t.Errorf("no %q in\n%s", a, strings.Join(lines, "\n"))
			continue
		}
		for _, b := range thens {
			if ib := index(lines, b); ib < 0 || ib < ia {
				t.Errorf("%q (at %d) must come after %q (at %d)", b, ib, a, ia)
			}
		}
	}
}

func each(names []string, what string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + ": " + what
	}
	return out
}
