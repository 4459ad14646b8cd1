package steps

import (
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/kube"
)

func TestCheckNewHost(t *testing.T) {
	for _, tc := range []struct {
		address, hostname string
		ok                bool
	}{
		{"192.168.1.57", "pi-07", true},
		{"fd00::57", "", true},
		{"pi-07.local", "pi-07", true},
		{"PI-07.Local", "", true},
		{"192.168.1.57", "Pi-07", false},
		{"192.168.1.57", "pi_07", false},
		{"192.168.1.57", "pi-07.local", false},
		{"192.168.1.57", "-pi", false},
		{"pi@192.168.1.57", "", false},
		{"192.168.1.57:22", "", false},
		{"https://pi", "", false},
		{"", "", false},
		{"pi..local", "", false},
	} {
		err := CheckNewHost(tc.address, tc.hostname)
		if (err == nil) != tc.ok {
			t.Errorf("CheckNewHost(%q, %q) = %v, want ok=%v", tc.address, tc.hostname, err, tc.ok)
		}
	}
}

func TestServerJoinProblem(t *testing.T) {
	first := &fleet.Node{Host: inventory.Host{Address: "10.0.0.1", Role: "server", Hostname: "s1"}}
	newSrv := &fleet.Node{Host: inventory.Host{Address: "10.0.0.2", Role: "server", Hostname: "s2"}}
	sqlite := map[string]kube.Node{"s1": {Name: "s1", Labels: map[string]string{"node-role.kubernetes.io/control-plane": "true"}}}
	etcd := map[string]kube.Node{"s1": {Name: "s1", Labels: map[string]string{etcdRoleLabel: "true"}}}
	for _, tc := range []struct {
		name      string
		datastore string
		nodes     map[string]kube.Node
		refused   bool
	}{
		{"sqlite first server", "", sqlite, true},
		{"embedded etcd", "", etcd, false},
		{"external datastore", "postgres://db:5432/k3s", sqlite, false},
		{"first server unknown", "", map[string]kube.Node{}, false},
	} {
		inv := &inventory.Inventory{Cluster: inventory.Cluster{DatastoreEndpoint: tc.datastore}}
		r := &run{inv: inv, servers: []*fleet.Node{first, newSrv}}
		msg := r.serverJoinProblem(tc.nodes, newSrv)
		if (msg != "") != tc.refused {
			t.Errorf("%s: %q, want refused=%v", tc.name, msg, tc.refused)
		}
		if tc.refused && !strings.Contains(msg, "cluster-init") {
			t.Errorf("%s: %q does not say how to get HA", tc.name, msg)
		}
	}
}
