package inventory

import (
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

func TestServerURL(t *testing.T) {
	tests := []struct{ endpoint, first, want string }{
		{"", "10.0.0.1", "https://10.0.0.1:6443"},
		{"", "fd00::1", "https://[fd00::1]:6443"},
		{"k3s.lan", "10.0.0.1", "https://k3s.lan:6443"},
		{"k3s.lan:443", "10.0.0.1", "https://k3s.lan:443"},
		{"[fd00::9]:7443", "10.0.0.1", "https://[fd00::9]:7443"},
	}
	for _, tt := range tests {
		inv := &Inventory{Cluster: Cluster{APIEndpoint: tt.endpoint}, Hosts: []Host{{Address: "10.9.9.9", Role: role.Agent}, {Address: tt.first, Role: role.Server}}}
		if got := inv.ServerURL(); got != tt.want {
			t.Errorf("ServerURL(%q, %q) = %q, want %q", tt.endpoint, tt.first, got, tt.want)
		}
	}
}
