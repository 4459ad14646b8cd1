package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

func TestReachPairs(t *testing.T) {
	node := func(name, r string) *fleet.Node {
		return &fleet.Node{Host: inventory.Host{Address: "10.0.0." + name[len(name)-1:], Hostname: name, Role: role.Role(r)}}
	}
	s1, s2, a1 := node("srv1", "server"), node("srv2", "server"), node("ag3", "agent")
	ep := &preflight.ReachTarget{Name: "the API endpoint", Host: "10.0.0.100", Port: "6443", Endpoint: true}
	tests := []struct {
		name     string
		sources  []*fleet.Node
		servers  []*fleet.Node
		endpoint *preflight.ReachTarget
		want     map[string]string // source -> targets' names, comma-joined
	}{
		{"single host", []*fleet.Node{s1}, []*fleet.Node{s1}, nil, map[string]string{}},
		{"one server with endpoint, no agents", []*fleet.Node{s1}, []*fleet.Node{s1}, ep, map[string]string{}},
		{"agent to server", []*fleet.Node{s1, a1}, []*fleet.Node{s1}, nil, map[string]string{"ag3": "srv1"}},
		{"HA and an agent", []*fleet.Node{s1, s2, a1}, []*fleet.Node{s1, s2}, nil, map[string]string{"srv1": "srv2", "srv2": "srv1", "ag3": "srv1,srv2"}},
		{"endpoint added", []*fleet.Node{s1, a1}, []*fleet.Node{s1}, ep, map[string]string{"ag3": "srv1,the API endpoint"}},
		{"endpoint is a server", []*fleet.Node{s1, a1}, []*fleet.Node{s1}, &preflight.ReachTarget{Name: "the API endpoint", Host: "10.0.0.1", Port: "6443", Endpoint: true}, map[string]string{"ag3": "srv1"}},
		{"add-node: only the new agent", []*fleet.Node{a1}, []*fleet.Node{s1, s2}, nil, map[string]string{"ag3": "srv1,srv2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for _, p := range reachPairs(tt.sources, tt.servers, tt.endpoint) {
				var names []string
				for _, x := range p.Targets {
					names = append(names, x.Name)
				}
				got[p.From.Host.Name()] = strings.Join(names, ",")
			}
			if len(got) != len(tt.want) {
				t.Fatalf("pairs %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s reaches %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestJoinRefused(t *testing.T) {
	a := &RefusedError{Findings: []preflight.Finding{refusal("", "a")}}
	b := &RefusedError{Findings: []preflight.Finding{refusal("", "b")}}
	plain := errors.New("plain")
	tests := []struct {
		name string
		x, y error
		want string
	}{
		{"none", nil, nil, ""},
		{"first", a, nil, "a"},
		{"second", nil, b, "b"},
		{"both", a, b, "a,b"},
		{"plain wins", plain, b, "plain"},
		{"plain second wins", a, plain, "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := joinRefused(tt.x, tt.y)
			var got string
			var r *RefusedError
			switch {
			case err == nil:
			case errors.As(err, &r):
				for i, f := range r.Findings {
					got += map[bool]string{true: ",", false: ""}[i > 0] + f.Msg
				}
			default:
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// stubCurl writes a curl that answers by target address: .1 listens, .2
// refuses, .3 drops.
func stubCurl(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
for a; do url=$a; done
case $url in
*10.0.0.1:*) printf ' TC=0.001000'; exit 0 ;;
*10.0.0.2:*) echo "curl: (7) Failed to connect: Couldn't connect to server" >&2; printf ' TC=0.000000'; exit 7 ;;
*) echo "curl: (28) Connection timed out after 3000 milliseconds" >&2; printf ' TC=0.000000'; exit 28 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "curl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir + string(os.PathListSeparator) + os.Getenv("PATH")
}

func TestCheckReachThroughTheScript(t *testing.T) {
	path := stubCurl(t)
	mk := func(addr, name, r string) *fleet.Node {
		return &fleet.Node{Host: inventory.Host{Address: addr, Hostname: name, Role: role.Role(r)}, Conn: &fleettest.Local{Host: name, PATH: path}}
	}
	tests := []struct {
		name    string
		servers []*fleet.Node
		agents  []*fleet.Node
		refused []string
	}{
		{"listening and refused servers are fine", []*fleet.Node{mk("10.0.0.1", "pi-srv1", "server"), mk("10.0.0.2", "pi-srv2", "server")},
			[]*fleet.Node{mk("10.0.0.9", "pi-a1", "agent")}, nil},
		{"a dropping server is refused from each source", []*fleet.Node{mk("10.0.0.1", "pi-srv1", "server"), mk("10.0.0.3", "pi-srv3", "server")},
			[]*fleet.Node{mk("10.0.0.9", "pi-a1", "agent")},
			[]string{"pi-a1 cannot reach pi-srv3:6443 (connection timed out)", "pi-srv1 cannot reach pi-srv3:6443 (connection timed out)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &inventory.Inventory{}
			inv.Cluster.Concurrency = 4
			nodes := append(append([]*fleet.Node{}, tt.servers...), tt.agents...)
			start := time.Now()
			_, err := checkReach(context.Background(), PreflightInput{Inventory: inv, Nodes: nodes, Servers: tt.servers, Log: &fleettest.Log{}})
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("checkReach took %s", took)
			}
			var ref *RefusedError
			if len(tt.refused) == 0 {
				if err != nil {
					t.Fatalf("checkReach: %v", err)
				}
				return
			}
			if !errors.As(err, &ref) || len(ref.Findings) != len(tt.refused) {
				t.Fatalf("checkReach = %v, want %d refusals", err, len(tt.refused))
			}
			all := ref.Error()
			for _, s := range tt.refused {
				if !strings.Contains(all, s) {
					t.Errorf("refusal lacks %q:\n%s", s, all)
				}
			}
		})
	}
}
