package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/kube"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// labelsPhase brings every node's labels and taints to the inventory's. It
// selects the nodes whose labels, taints or k3sup-pi's annotations differ,
// read from the cluster.
func (r *run) labelsPhase() fleet.Phase {
	changes := map[*fleet.Node]kube.MetaChange{}
	return fleet.Phase{
		Title: "labels and taints",
		Select: func(ctx context.Context) ([]*fleet.Node, error) {
			current, err := r.cl.Nodes(ctx, nil)
			if err != nil {
				return nil, err
			}
			var out []*fleet.Node
			for _, n := range r.touched() {
				kn, ok := current[n.NodeName()]
				if !ok {
					return nil, fmt.Errorf("node %s (%s) is not in the cluster", n.NodeName(), n.Host.Name())
				}
				if m := kube.DiffMeta(kn, r.metaWant(n)); !m.Empty() {
					changes[n] = m
					out = append(out, n)
				}
			}
			return out, nil
		},
		Run: func(ctx context.Context, nodes []*fleet.Node) error {
			for _, n := range nodes {
				m := changes[n]
				if err := r.cl.ApplyMeta(ctx, n.NodeName(), m); err != nil {
					return err
				}
				if len(m.Label)+len(m.Taint) > 0 {
					n.Note("labels/taints: %v %v", m.Label, m.Taint)
				}
			}
			return nil
		},
	}
}

// metaWant is what the inventory asks one node to carry.
func (r *run) metaWant(n *fleet.Node) kube.MetaWant {
	w := kube.MetaWant{Labels: map[string]string{}}
	for k, v := range n.Host.Labels {
		w.Labels[k] = v
	}
	w.Taints = append(w.Taints, n.Host.Taints...)
	if n.Host.Role == role.Server && r.inv.Cluster.TaintServers {
		w.Taints = append(w.Taints, kube.ControlPlaneTaint)
	}
	if n.Host.Role == role.Agent && r.inv.Cluster.LabelWorkers {
		k, v, _ := strings.Cut(kube.WorkerLabel, "=")
		w.Labels[k] = v
	}
	return w
}
