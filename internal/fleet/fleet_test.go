package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

func TestForEachLimitAndErrors(t *testing.T) {
	nodes := []*Node{{Host: inventory.Host{Address: "a"}}, {Host: inventory.Host{Address: "b"}}, {Host: inventory.Host{Address: "c"}}}
	var running, most atomic.Int32
	err := ForEach(context.Background(), nodes, 2, func(_ context.Context, n *Node) error {
		now := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if now <= m || most.CompareAndSwap(m, now) {
				break
			}
		}
		if n.Host.Address != "b" {
			return fmt.Errorf("%s failed", n.Host.Address)
		}
		return nil
	})
	if most.Load() > 2 {
		t.Errorf("%d at a time, limit 2", most.Load())
	}
	if err == nil || !strings.Contains(err.Error(), "a failed") || !strings.Contains(err.Error(), "c failed") {
		t.Errorf("err = %v, want both failures", err)
	}
}

func TestConnect(t *testing.T) {
	f := fleettest.New(t)
	f.Add("s1", fleettest.Fixture(t, "pi4-k3s-server.txt"))
	f.Add("bad", "k3sup_pi_facts=1\n") // no end=ok: a cut-short answer
	dial := func(ctx context.Context, h inventory.Host) (Conn, error) { return f.Dial(ctx, h.Address) }
	nodes, err := Connect(context.Background(), []inventory.Host{{Address: "s1", Hostname: "s1"}}, dial, 4)
	if err != nil || nodes[0].Facts.K3sRole != role.Server || nodes[0].NodeName() != "s1" {
		t.Fatalf("Connect = %v, %v", nodes, err)
	}
	_, err = Connect(context.Background(), []inventory.Host{{Address: "s1"}, {Address: "bad"}, {Address: "gone"}}, dial, 4)
	for _, want := range []string{"gather facts on bad", "gone: connect"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

func TestRunPhases(t *testing.T) {
	a, b := &Node{Host: inventory.Host{Address: "a"}}, &Node{Host: inventory.Host{Address: "b"}}
	all := func() []*Node { return []*Node{a, b} }
	var ran []string
	record := func(ctx context.Context, nodes []*Node) error {
		for _, n := range nodes {
			ran = append(ran, n.Host.Address)
		}
		return nil
	}
	log := &fleettest.Log{}
	boom := errors.New("boom")
	err := RunPhases(context.Background(), log,
		Phase{Title: "none", Select: Selected(all, func(*Node) bool { return false }), Run: record},
		Phase{Title: "only b", Select: Selected(all, func(n *Node) bool { return n == b }), Run: record},
		Phase{Title: "fails", Select: Selected(all, func(*Node) bool { return true }), Run: func(context.Context, []*Node) error { return boom }},
		Phase{Title: "never", Select: Selected(all, func(*Node) bool { return true }), Run: record})
	if !errors.Is(err, boom) || err.Error() != "fails: boom" {
		t.Errorf("err = %v", err)
	}
	if !slices.Equal(log.Phases, []string{"only b", "fails"}) || !slices.Equal(ran, []string{"b"}) {
		t.Errorf("logged %q, ran on %q", log.Phases, ran)
	}
}

// TestConnectSkipping: a host whose dial error skip accepts is left out and
// named with its error; any other failure stops the connect.
func TestConnectSkipping(t *testing.T) {
	f := fleettest.New(t)
	f.Add("s1", fleettest.Fixture(t, "pi4-k3s-server.txt"))
	dial := func(ctx context.Context, h inventory.Host) (Conn, error) { return f.Dial(ctx, h.Address) }
	skip := func(h inventory.Host, _ error) bool { return h.Address == "a9" }
	up, down, err := ConnectSkipping(context.Background(), []inventory.Host{{Address: "s1"}, {Address: "a9"}}, dial, 2, skip)
	if err != nil || len(up) != 1 || up[0].Host.Address != "s1" || len(down) != 1 || down[0].Host.Address != "a9" ||
		!strings.Contains(down[0].Err.Error(), "a9: connect") {
		t.Fatalf("up %v, down %v, err %v", up, down, err)
	}
	if _, _, err := ConnectSkipping(context.Background(), []inventory.Host{{Address: "s1"}, {Address: "b9"}}, dial, 2, skip); err == nil {
		t.Error("b9, not skipped, did not stop the connect")
	}
}
