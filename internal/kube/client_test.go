package kube

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
)

// testCluster is s1, s2 (servers) and a1 (agent), all running k3s v1.31.4.
func testCluster(t *testing.T) (*Client, *fleettest.Fleet) {
	t.Helper()
	f := fleettest.New(t)
	c := &Client{}
	for _, name := range []string{"s1", "s2", "a1"} {
		h := f.Add(name, fleettest.Fixture(t, "pi4-bookworm-arm64.txt"))
		h.Set("hostname", name)
		r := map[bool]string{true: "server", false: "agent"}[name[0] == 's']
		h.Running(r, "v1.31.4+k3s1")
		if r == "server" {
			c.Servers = append(c.Servers, &fleet.Node{Host: inventory.Host{Address: name}, Conn: h})
		}
	}
	return c, f
}

func TestClientNodesAndWait(t *testing.T) {
	c, f := testCluster(t)
	ctx := context.Background()
	vs, err := c.Versions(ctx)
	if err != nil || len(vs) != 3 || vs["a1"] != "v1.31.4+k3s1" {
		t.Fatalf("Versions = %v, %v", vs, err)
	}
	if err := c.WaitReady(ctx, map[string]string{"s1": "v1.31.4+k3s1", "a1": ""}, time.Second, nil); err != nil {
		t.Errorf("WaitReady: %v", err)
	}
	err = c.WaitReady(ctx, map[string]string{"a9": "", "a1": "v1.32.0+k3s1"}, 1500*time.Millisecond, nil)
	if err == nil || !strings.Contains(err.Error(), "a1 (runs v1.31.4+k3s1, not v1.32.0+k3s1), a9 (not registered)") {
		t.Errorf("WaitReady = %v, want the missing nodes named", err)
	}
	f.Reset()
	if _, err := c.Nodes(ctx, c.Servers[0]); err != nil {
		t.Fatal(err)
	}
	if ev := f.Events(); len(ev) != 1 || ev[0].Host != "s2" {
		t.Errorf("kubectl ran on %v, want s2 (s1 skipped)", ev)
	}
}

func TestClientNoServer(t *testing.T) {
	c := &Client{}
	if _, err := c.Kubectl(context.Background(), nil, "get", "nodes"); err == nil || !strings.Contains(err.Error(), "no server") {
		t.Errorf("err = %v", err)
	}
}

// TestApplyMetaConverges: what DiffMeta asks, ApplyMeta does; the next diff is empty.
func TestApplyMetaConverges(t *testing.T) {
	c, f := testCluster(t)
	ctx := context.Background()
	want := MetaWant{Labels: map[string]string{"disk": "ssd"}, Taints: []string{"gpu=yes:NoSchedule"}}
	for i := range 2 {
		nodes, err := c.Nodes(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := DiffMeta(nodes["a1"], want)
		if m.Empty() != (i == 1) {
			t.Fatalf("round %d: diff %+v", i, m)
		}
		if err := c.ApplyMeta(ctx, "a1", m); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Drain(ctx, "a1", nil, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := c.Uncordon(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if got := f.Changing(); len(got) != 5 {
		t.Errorf("changes %q, want label, taint, annotate, drain, uncordon", got)
	}
}
