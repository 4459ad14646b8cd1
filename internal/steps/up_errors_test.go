package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
)

// upErr runs Up against the fleet, or with addNode set, AddNode of that
// host, and returns its error.
func (f *testFleet) upErr(opt Options, addNode string) error {
	opt.Inventory = f.inventory()
	opt.Dial = func(ctx context.Context, h inventory.Host) (fleet.Conn, error) { return f.Dial(ctx, h.Address) }
	opt.Log = &fleettest.Log{}
	var err error
	if addNode != "" {
		_, err = AddNode(context.Background(), AddNodeOptions{Inventory: opt.Inventory, Host: addNode, Dial: opt.Dial, Log: opt.Log})
	} else {
		_, err = Up(context.Background(), opt)
	}
	return err
}

// TestUpStops: what up refuses before any change, and how a failing step is
// reported: the host named once, nothing changed after it.
func TestUpStops(t *testing.T) {
	tests := []struct {
		name    string
		then    func(f *testFleet) string // after a first up on s1, a1; the host add-node joins, "" for up
		refused bool
		want    string
		host    string // the host's name, found exactly once
	}{
		{"another token", func(f *testFleet) string {
			f.config = "  token: not-the-clusters\n"
			return ""
		}, true, "the inventory's token differs from the token cluster pi-lab was created with", "s1"},
		{"role switch", func(f *testFleet) string {
			f.Host("a1").Set("k3s_role", "server")
			return ""
		}, true, "k3s runs here as server but the inventory says agent", "a1"},
		{"add-node onto a host of another cluster", func(f *testFleet) string {
			f.add("a2")
			f.Host("a2").Set("k3s_role", "agent", "k3s_version", "v1.31.4+k3s1", "service_active", "1")
			return "a2"
		}, true, "k3s agent already runs here but no node \"a2\" is in the cluster", "a2: "},
		{"a host that cannot be reached", func(f *testFleet) string {
			f.names, f.addr["a9"] = append(f.names, "a9"), "a9" // in the inventory, not in the fleet
			return ""
		}, false, "a9: connect a9:22: no route to host", "a9: "},
		{"a failing install", func(f *testFleet) string {
			f.add("a2")
			f.Host("a2").Fail = map[string]string{"INSTALL_K3S_EXEC=agent": "curl: (6) Could not resolve host: github.com"}
			return ""
		}, false, "Could not resolve host", "a2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFleet(t, "", "s1", "a1")
			f.up(Options{})
			addNode := tt.then(f)
			f.Reset()
			err := f.upErr(Options{}, addNode)
			var refused *RefusedError
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, &refused) != tt.refused {
				t.Fatalf("err = %v\nwant one containing %q (refused: %v)", err, tt.want, tt.refused)
			}
			if n := strings.Count(err.Error(), tt.host); n != 1 {
				t.Errorf("%s named %d times in: %v", tt.host, n, err)
			}
			if c := f.changing(); tt.refused && len(c) > 0 {
				t.Errorf("refused, but changed %q", c)
			}
		})
	}
}

// TestUpWritesKubeconfig: up writes the kubeconfig once, 0600, and leaves a
// current one alone.
func TestUpWritesKubeconfig(t *testing.T) {
	f := newTestFleet(t, "", "s1", "a1")
	path := filepath.Join(f.dir, "kubeconfig")
	f.config = "  kubeconfig: " + path + "\n"
	for i, want := range []string{path, ""} {
		res := f.up(Options{WriteKubeconfig: true})
		if res.Kubeconfig != want {
			t.Errorf("run %d: wrote %q, want %q", i+1, res.Kubeconfig, want)
		}
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig: %v %v", st, err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "https://s1:6443") || !strings.Contains(string(b), "pi-lab") {
		t.Errorf("kubeconfig:\n%s", b)
	}
}
