package main

import (
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
)

// joining is a running server pi-1 and a fresh host at addr that joins as
// node: the server lists the nodes without it first, then with it.
func joining(t *testing.T, addr, node string) *testFleet {
	f := newFleet(t)
	f.host("10.0.0.1", "pi4-k3s-server.txt").Running("server", "v1.31.4+k3s1")
	f.host(addr, "pi4-k3s-server.txt", "k3s_role=", "service_active=0", "k3s_version=", "config_present=0", "config_hash=", "k3s_bin_hash=").
		Probe = fleettest.ProbeConnected
	return f.expects("10.0.0.1: read /var/lib/rancher/k3s/server/node-token", "10.0.0.1: kubectl get nodes -o json", addr+": probe", addr+": k3s --version")
}

// TestAddNodeCommand runs `add-node` end to end on a fake fleet: only the
// new host changes; a taken name is refused; flag mistakes are usage errors
// found before any host is dialled.
func TestAddNodeCommand(t *testing.T) {
	tests := []struct {
		name    string
		fleet   func(t *testing.T) *testFleet // nil: no host may be dialled
		args    []string
		code    int
		stderr  []string
		changed string
	}{
		{"inventory host joins", func(t *testing.T) *testFleet { return joining(t, "10.0.0.2", "pi-2") },
			[]string{"--host", "pi-2"}, exitOK, []string{"==> agents", "pi-1  server  pi-1  none",
				"pi-2  agent   pi-2  wrote /etc/rancher/k3s/config.yaml; installed k3s agent v1.31.4+k3s1 (k3s not installed)",
				"==> 2 changes on 2 hosts"}, "10.0.0.2"},
		{"a join that fails", func(t *testing.T) *testFleet {
			f := newFleet(t)
			f.host("10.0.0.1", "pi4-k3s-server.txt").Running("server", "v1.31.4+k3s1")
			h := f.host("10.0.0.2", "pi4-k3s-server.txt", "k3s_role=", "service_active=0", "k3s_version=", "config_present=0", "config_hash=", "k3s_bin_hash=")
			h.Probe = fleettest.ProbeConnected
			h.Fail = map[string]string{"INSTALL_K3S_EXEC=agent": "curl: (7) Failed to connect"}
			return f.expects("10.0.0.2: write /etc/rancher/k3s/config.yaml", "10.0.0.2: failed: INSTALL_K3S_EXEC=agent")
		}, []string{"--host", "pi-2"}, exitFailed, []string{
			"pi-2  agent   pi-2  wrote /etc/rancher/k3s/config.yaml; FAILED (see the error below)",
			"1 agents failed (max_failures allows 0):", "Failed to connect"}, "10.0.0.2"},
		{"new host joins", func(t *testing.T) *testFleet { return joining(t, "10.0.0.3", "pi-3") },
			[]string{"--address", "10.0.0.3", "--hostname", "pi-3"}, exitOK,
			[]string{"pi-3  agent   pi-3  wrote /etc/rancher/k3s/config.yaml; installed k3s agent"}, "10.0.0.3"},
		{"name already in the cluster", func(t *testing.T) *testFleet {
			f := newFleet(t)
			f.host("10.0.0.1", "pi4-k3s-server.txt").Running("server", "v1.31.4+k3s1")
			f.host("10.0.0.2", "pi4-bookworm-arm64.txt").Probe = fleettest.ProbeConnected
			f.AddNode("pi-2", "v1.31.4+k3s1")
			return f.expects("10.0.0.2: probe", "10.0.0.1: kubectl get nodes -o json")
		}, []string{"--host", "pi-2"}, exitRefused, []string{"==> 0 changes on 2 hosts",
			"error: preflight refused the run; nothing was changed:\n  pi-2: the cluster already has a node named \"pi-2\""}, ""},
		{"both --host and --address", nil, []string{"--host", "pi-2", "--address", "10.0.0.3"}, exitBadInput,
			[]string{"error: add-node: give exactly one of --host NAME (from the inventory) or --address ADDR"}, ""},
		{"unknown --host", nil, []string{"--host", "pi-9"}, exitBadInput, []string{`add-node --host: no host "pi-9" in`, "(or give a new host with --address)"}, ""},
		{"bad --role", nil, []string{"--address", "10.0.0.3", "--role", "master"}, exitBadInput, []string{"add-node: --role must be agent or server"}, ""},
		{"--address already in the inventory", nil, []string{"--address", "10.0.0.2"}, exitBadInput, []string{"add-node: 10.0.0.2 is already in ", "; use --host"}, ""},
		{"bad --hostname", nil, []string{"--address", "10.0.0.3", "--hostname", "Pi_3"}, exitBadInput, []string{`add-node: --hostname "Pi_3" is not a valid node name`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io := newTestIO("", false)
			fleet := runChecked(t, tt.fleet, io, "add-node", tt.args, tt.code, tt.stderr)
			wantNoStdout(t, io)
			if fleet != nil {
				fleet.wantChanged(t, tt.changed)
			}
		})
	}
}
