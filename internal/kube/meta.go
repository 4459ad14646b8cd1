package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Annotations where k3sup-pi records which labels and taints it manages, so that
// one removed from the inventory is removed from the node and no other is touched.
const (
	managedLabelsAnno = "k3sup-pi.io/managed-labels"
	managedTaintsAnno = "k3sup-pi.io/managed-taints"
)

// Wanted labels and taints that the cluster switches add.
const (
	WorkerLabel       = "node-role.kubernetes.io/worker=true"
	ControlPlaneTaint = "node-role.kubernetes.io/control-plane=true:NoSchedule"
)

// MetaWant is the desired labels and taints of one node.
type MetaWant struct {
	Labels map[string]string
	Taints []string
}

// MetaChange is what kubectl must do to one node: each field holds ready
// Kubectl arguments, empty when nothing is to be done.
type MetaChange struct {
	Label    []string // k=v and k- items for `kubectl label --overwrite`
	Taint    []string // key=value:Effect and key:Effect- items for `kubectl taint --overwrite`
	Annotate []string // k=v items for `kubectl annotate --overwrite`
}

func (m MetaChange) Empty() bool { return len(m.Label)+len(m.Taint)+len(m.Annotate) == 0 }

// DiffMeta compares a node with what it should carry.
func DiffMeta(n Node, w MetaWant) MetaChange {
	var c MetaChange
	for _, k := range sortedKeys(w.Labels) {
		if v, ok := n.Labels[k]; !ok || v != w.Labels[k] {
			c.Label = append(c.Label, k+"="+w.Labels[k])
		}
	}
	for _, k := range splitList(n.Annotations[managedLabelsAnno]) {
		if _, want := w.Labels[k]; !want {
			if _, has := n.Labels[k]; has {
				c.Label = append(c.Label, k+"-")
			}
		}
	}
	have := map[string]bool{}
	for _, t := range n.Taints {
		have[t] = true
	}
	want := map[string]bool{}
	for _, t := range w.Taints {
		want[t] = true
		if !have[t] {
			c.Taint = append(c.Taint, t)
		}
	}
	for _, t := range splitList(n.Annotations[managedTaintsAnno]) {
		if !want[t] && have[t] {
			key, effect := taintKeyEffect(t)
			c.Taint = append(c.Taint, key+":"+effect+"-")
		}
	}
	labels := strings.Join(sortedKeys(w.Labels), ",")
	taints := strings.Join(sortedCopy(w.Taints), ",")
	if n.Annotations[managedLabelsAnno] != labels {
		c.Annotate = append(c.Annotate, managedLabelsAnno+"="+labels)
	}
	if n.Annotations[managedTaintsAnno] != taints {
		c.Annotate = append(c.Annotate, managedTaintsAnno+"="+taints)
	}
	return c
}

// ApplyMeta runs the kubectl commands of one node's change.
func (c *Client) ApplyMeta(ctx context.Context, node string, m MetaChange) error {
	if len(m.Label) > 0 {
		if _, err := c.Kubectl(ctx, nil, append([]string{"label", "node", node, "--overwrite"}, m.Label...)...); err != nil {
			return fmt.Errorf("label node %s: %w", node, err)
		}
	}
	if len(m.Taint) > 0 {
		if _, err := c.Kubectl(ctx, nil, append([]string{"taint", "node", node, "--overwrite"}, m.Taint...)...); err != nil {
			return fmt.Errorf("taint node %s: %w", node, err)
		}
	}
	if len(m.Annotate) > 0 {
		if _, err := c.Kubectl(ctx, nil, append([]string{"annotate", "node", node, "--overwrite"}, m.Annotate...)...); err != nil {
			return fmt.Errorf("annotate node %s: %w", node, err)
		}
	}
	return nil
}

// taintKeyEffect splits key[=value]:Effect into key and Effect.
func taintKeyEffect(t string) (string, string) {
	kv, effect, _ := strings.Cut(t, ":")
	key, _, _ := strings.Cut(kv, "=")
	return key, effect
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
