package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// readyLater is a server whose `kubectl get nodes` shows node a1 NotReady
// for the first notReady reads, then Ready.
type readyLater struct {
	reads    atomic.Int32
	notReady int32
}

func (c *readyLater) Name() string { return "srv" }
func (c *readyLater) Run(_ context.Context, cmd remote.Cmd) (remote.Result, error) {
	if !strings.HasPrefix(cmd.Script, "k3s kubectl get nodes") {
		return remote.Result{}, fmt.Errorf("unexpected command %q", cmd.Script)
	}
	status := "True"
	if c.reads.Add(1) <= c.notReady {
		status = "False"
	}
	node := func(name, ready string) string {
		return `{"metadata":{"name":"` + name + `"},"status":{"conditions":[{"type":"Ready","status":"` + ready + `"}],"nodeInfo":{"kubeletVersion":"v1.31.4+k3s1"}}}`
	}
	return remote.Result{Stdout: []byte(`{"items":[` + node("srv", "True") + "," + node("a1", status) + `]}`)}, nil
}
func (c *readyLater) WriteFile(context.Context, string, []byte, fs.FileMode) (bool, error) {
	return false, errors.New("not supported")
}
func (c *readyLater) Upload(context.Context, string, string, fs.FileMode) (bool, error) {
	return false, errors.New("not supported")
}
func (c *readyLater) Reboot(context.Context, time.Duration) error { return errors.New("not supported") }
func (c *readyLater) Close() error                                { return nil }

// TestAllReady: a node the run did not change (its k3s runs) but that is
// not Ready is waited for, and named when it stays NotReady.
func TestAllReady(t *testing.T) {
	tests := []struct {
		name     string
		notReady int32
		wantErr  string
	}{
		{"all Ready: one read", 0, ""},
		{"a1 Ready on the third read", 2, ""},
		{"a1 never Ready", 1 << 30, "nodes not Ready after 2.5s: a1 (NotReady)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := &readyLater{notReady: tt.notReady}
			srv := &Node{Host: inventory.Host{Hostname: "srv", Role: inventory.RoleServer}, Conn: conn}
			a1 := &Node{Host: inventory.Host{Hostname: "a1", Role: inventory.RoleAgent}, Conn: &factsConn{name: "a1"}}
			inv := &inventory.Inventory{}
			inv.Cluster.ReadyTimeout = 2500 * time.Millisecond
			r := &run{inv: inv, nodes: []*Node{srv, a1}, cl: &cluster{servers: []*Node{srv}}}
			err := r.allReady(context.Background())
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("allReady = %v, want %q", err, tt.wantErr)
			}
			if tt.wantErr == "" && conn.reads.Load() != tt.notReady+1 {
				t.Errorf("%d reads of the nodes, want %d", conn.reads.Load(), tt.notReady+1)
			}
		})
	}
}
