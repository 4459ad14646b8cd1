package steps

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// tokenHost is a first server that answers reads of its config.yaml and
// node-token, and fails any other command (nothing may change).
type tokenHost struct {
	config, nodeToken string
	ran               []string
}

func (h *tokenHost) Name() string { return "pi-01" }

func (h *tokenHost) Run(_ context.Context, cmd remote.Cmd) (remote.Result, error) {
	h.ran = append(h.ran, cmd.Script)
	switch {
	case strings.Contains(cmd.Script, ConfigPath):
		return remote.Result{Stdout: []byte(h.config)}, nil
	case strings.Contains(cmd.Script, nodeTokenPath):
		return remote.Result{Stdout: []byte(h.nodeToken)}, nil
	}
	return remote.Result{}, errors.New("unexpected command " + cmd.Script)
}

func (h *tokenHost) WriteFile(context.Context, string, []byte, fs.FileMode) (bool, error) {
	return false, errors.New("no writes while reading tokens")
}

func (h *tokenHost) Upload(context.Context, string, string, fs.FileMode) (bool, error) {
	return false, errors.New("no uploads while reading tokens")
}

func (h *tokenHost) Reboot(context.Context, time.Duration) error { return errors.New("no reboots") }
func (h *tokenHost) Close() error                                { return nil }

// TestReadTokensRefusesAnotherToken: an inventory token whose secret is not
// the one in the first server's node-token is refused (exit 3) before any
// change, whether k3s runs or not, and neither token is named.
func TestReadTokensRefusesAnotherToken(t *testing.T) {
	const hash = "K10" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const clusterTok = hash + "::server:cluster-secret-1"
	tests := []struct {
		name      string
		inventory string
		f         facts.Facts
		config    string
		nodeToken string
		refused   bool
	}{
		{"same bare secret, running", "cluster-secret-1", facts.Facts{K3sRole: "server", ServiceActive: true, ConfigHash: "x"},
			"token: cluster-secret-1\n", clusterTok + "\n", false},
		{"same secret in K10 form, stopped", clusterTok, facts.Facts{K3sRole: "server", ConfigHash: "x"},
			"token: cluster-secret-1\n", clusterTok + "\n", false},
		{"other secret, running", "new-secret-2", facts.Facts{K3sRole: "server", ServiceActive: true, ConfigHash: "x"},
			"token: cluster-secret-1\n", clusterTok + "\n", true},
		{"other secret, stopped", "new-secret-2", facts.Facts{K3sRole: "server", ConfigHash: "x"},
			"token: cluster-secret-1\n", clusterTok + "\n", true},
		{"other secret, no datastore yet", "new-secret-2", facts.Facts{K3sRole: "server", ConfigHash: "x"},
			"token: cluster-secret-1\n", "", false},
		{"fresh host", "new-secret-2", facts.Facts{}, "", "", false},
		{"no inventory token: the cluster's is used", "", facts.Facts{K3sRole: "server", ServiceActive: true, ConfigHash: "x"},
			"token: cluster-secret-1\n", clusterTok + "\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &tokenHost{config: tt.config, nodeToken: tt.nodeToken}
			first := &Node{Host: inventory.Host{Address: "10.0.0.1", Role: "server"}, Conn: h, Facts: tt.f}
			inv := &inventory.Inventory{Cluster: inventory.Cluster{Name: "home", Token: tt.inventory}}
			r := &run{inv: inv, servers: []*Node{first}}
			err := r.readTokens(context.Background())
			var refused *RefusedError
			if got := errors.As(err, &refused); got != tt.refused || (!got && err != nil) {
				t.Fatalf("err = %v, want refused=%v", err, tt.refused)
			}
			if !tt.refused {
				return
			}
			msg := err.Error()
			want := "the inventory's token differs from the token cluster home was created with (on 10.0.0.1); use the cluster's token or reset the cluster"
			if !strings.Contains(msg, want) {
				t.Errorf("message %q lacks %q", msg, want)
			}
			for _, secret := range []string{"cluster-secret-1", "new-secret-2", hash} {
				if strings.Contains(msg, secret) {
					t.Errorf("message names a token: %q", msg)
				}
			}
		})
	}
}
