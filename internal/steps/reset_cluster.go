package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// clusterView is what a reset knows of the cluster its hosts leave.
type clusterView struct {
	stays     bool                // servers stay: only some hosts are reset
	reachable bool                // a server that stays runs k3s: nodes and passwords were read from it
	nodes     map[string]kubeNode // the cluster's nodes, when reachable
	passwords map[string]bool     // the node-password secrets in kube-system, when reachable
}

// passwordSecret is the secret in which k3s keeps a node's password hash,
// kube-system/<node>.node-password.k3s (k3s-io/k3s pkg/nodepassword). While
// it exists, a node of that name must present the password kept in the
// host's /etc/rancher/node, which k3s's uninstall script does not remove.
func passwordSecret(node string) string { return strings.ToLower(node) + ".node-password.k3s" }

// view reads the cluster's nodes and node-password secrets from a server that
// stays, when one runs k3s. When every server is reset the cluster goes with
// them: there is nothing to drain or delete.
func (r *reset) view(ctx context.Context) (clusterView, error) {
	v := clusterView{stays: len(r.cl.servers) > 0}
	if !slices.ContainsFunc(r.cl.servers, func(n *Node) bool { return n.Facts.ServiceActive }) {
		return v, nil
	}
	nodes, err := r.cl.nodes(ctx, nil)
	if err != nil {
		return v, fmt.Errorf("read the cluster's nodes from a server that stays: %w", err)
	}
	out, err := r.cl.kubectl(ctx, nil, "get", "secrets", "-n", "kube-system", "-o", "name")
	if err != nil {
		return v, fmt.Errorf("read the node-password secrets from a server that stays: %w", err)
	}
	v.reachable, v.nodes, v.passwords = true, nodes, map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "secret/"); ok && strings.HasSuffix(name, ".node-password.k3s") {
			v.passwords[name] = true
		}
	}
	return v, nil
}

// leave plans how a host's node leaves a cluster that stays: drained (when k3s
// runs there) and deleted, and its node-password secret deleted too (k3s
// deletes it with the node, but not a secret whose node never registered), so
// the host can join again under the same name with a new password. When no
// server that stays runs k3s, neither can be deleted: the host keeps
// /etc/rancher/node, whose password lets it rejoin under that name.
func (v clusterView) leave(plan *ResetPlan, node string, uninstall bool) {
	if !v.stays {
		return
	}
	if !v.reachable {
		plan.Remove = slices.DeleteFunc(plan.Remove, func(s string) bool { return s == rsEtcRancherNode })
		return
	}
	if _, ok := v.nodes[node]; ok {
		plan.DeleteNode = node
		if uninstall {
			plan.DrainNode = node
		}
	}
	if v.passwords[passwordSecret(node)] {
		plan.DeletePassword = passwordSecret(node)
	}
}
