package steps

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/kube"
	"github.com/k3sup-pi/k3sup-pi/internal/lock"
)

// AddNodeOptions drive one `add-node` run.
type AddNodeOptions struct {
	Inventory *inventory.Inventory // the cluster's servers and the host to join
	Host      string               // the inventory Name of the host to join: the only host changed
	Dial      fleet.Dialer
	Log       fleet.Logger
	Lock      *lock.HostOptions // the run lock; nil = none
}

// AddNode joins one host to the running cluster. Before any change it
// refuses a host whose node name the cluster already has, or that runs k3s
// under another name or for another cluster; the servers are only read.
func AddNode(ctx context.Context, opt AddNodeOptions) (*Result, error) {
	return up(ctx, Options{Inventory: opt.Inventory, Dial: opt.Dial, Log: opt.Log, Lock: opt.Lock}, opt.Host)
}

// nodeNameRE is an RFC 1123 label in lower case, as Kubernetes node names need.
var nodeNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// CheckNewHost checks the address and hostname given on add-node's command
// line for a host that is not in the inventory, as the inventory checks its own
// entries. A hostname the cluster already has is refused later, by the join
// check, once the cluster's nodes are known.
func CheckNewHost(address, hostname string) error {
	if _, err := netip.ParseAddr(address); err != nil {
		for _, label := range strings.Split(address, ".") {
			if !nodeNameRE.MatchString(strings.ToLower(label)) {
				return fmt.Errorf("--address %q is not an IP address or host name", address)
			}
		}
	}
	if hostname != "" && !nodeNameRE.MatchString(hostname) {
		return fmt.Errorf("--hostname %q is not a valid node name; use 1-63 lower-case letters, digits or '-', not starting or ending with '-' (like pi-7)", hostname)
	}
	return nil
}

// etcdRoleLabel is the label k3s puts on servers that run embedded etcd.
const etcdRoleLabel = "node-role.kubernetes.io/etcd"

// serverJoinProblem says why a new server cannot join, "" when it can: a
// cluster whose first server keeps its data in k3s's embedded SQLite (a single
// server started without cluster-init) takes no further servers; HA needs
// embedded etcd from the start or an external datastore.
func (r *run) serverJoinProblem(nodes map[string]kube.Node, n *fleet.Node) string {
	if r.inv.Cluster.DatastoreEndpoint != "" || len(r.servers) == 0 || r.servers[0] == n {
		return ""
	}
	first, ok := nodes[r.servers[0].NodeName()]
	if !ok || first.Labels[etcdRoleLabel] == "true" {
		return ""
	}
	return fmt.Sprintf("the cluster's server %s keeps its data in k3s's embedded SQLite, which takes no further servers; "+
		"an HA control plane needs embedded etcd from the start (server_config: {cluster-init: true}) or an external datastore_endpoint",
		first.Name)
}
