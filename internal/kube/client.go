// Package kube talks to the cluster through `k3s kubectl` on one of its
// servers: the nodes and their readiness, drain and uncordon, and the diff
// and apply of the labels and taints k3sup-pi manages.
package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// Node is the part of a Kubernetes Node object the steps read.
type Node struct {
	Name        string
	Labels      map[string]string
	Annotations map[string]string
	Taints      []string // key[=value]:Effect
	Ready       bool
	Version     string // kubelet version, the k3s version of the node
}

// Client runs kubectl through `k3s kubectl` on one of the servers.
type Client struct {
	Servers []*fleet.Node
}

// Kubectl runs `k3s kubectl ARGS` as root on the first reachable server other
// than skip (the server being restarted). args are plain words, never secrets.
func (c *Client) Kubectl(ctx context.Context, skip *fleet.Node, args ...string) ([]byte, error) {
	var lastErr error
	for _, s := range c.order(skip) {
		res, err := s.Conn.Run(ctx, remote.Argv(append([]string{"k3s", "kubectl"}, args...)...).Root())
		if err == nil {
			return res.Stdout, nil
		}
		lastErr = fmt.Errorf("kubectl %s on %s: %w", args[0], s.Conn.Name(), err)
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("kubectl %s: no server to run it on", args[0])
	}
	return nil, lastErr
}

// order lists the servers to try: every connected one but skip, then skip
// itself as the last resort (a single-server cluster has no other).
func (c *Client) order(skip *fleet.Node) []*fleet.Node {
	var out []*fleet.Node
	for _, s := range c.Servers {
		if s != skip && s.Conn != nil {
			out = append(out, s)
		}
	}
	if skip != nil && skip.Conn != nil {
		out = append(out, skip)
	}
	return out
}

// Nodes lists the cluster's nodes by name.
func (c *Client) Nodes(ctx context.Context, skip *fleet.Node) (map[string]Node, error) {
	out, err := c.Kubectl(ctx, skip, "get", "nodes", "-o", "json")
	if err != nil {
		return nil, err
	}
	return parseNodes(out)
}

// Versions maps every node's name to the k3s version it runs (its kubelet
// version), asked with a bound of its own.
func (c *Client) Versions(ctx context.Context) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	nodes, err := c.Nodes(ctx, nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(nodes))
	for name, n := range nodes {
		out[name] = n.Version
	}
	return out, nil
}

// parseNodes decodes `kubectl get nodes -o json`.
func parseNodes(data []byte) (map[string]Node, error) {
	var list struct {
		Items []struct {
			Metadata struct {
				Name        string            `json:"name"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
			Spec struct {
				Taints []struct{ Key, Value, Effect string } `json:"taints"`
			} `json:"spec"`
			Status struct {
				Conditions []struct{ Type, Status string } `json:"conditions"`
				NodeInfo   struct {
					KubeletVersion string `json:"kubeletVersion"`
				} `json:"nodeInfo"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("decode node list: %w", err)
	}
	out := make(map[string]Node, len(list.Items))
	for _, it := range list.Items {
		n := Node{Name: it.Metadata.Name, Labels: it.Metadata.Labels, Annotations: it.Metadata.Annotations,
			Version: it.Status.NodeInfo.KubeletVersion}
		for _, t := range it.Spec.Taints {
			n.Taints = append(n.Taints, formatTaint(t.Key, t.Value, t.Effect))
		}
		for _, c := range it.Status.Conditions {
			if c.Type == "Ready" {
				n.Ready = c.Status == "True"
			}
		}
		out[n.Name] = n
	}
	return out, nil
}

func formatTaint(key, value, effect string) string {
	if value == "" {
		return key + ":" + effect
	}
	return key + "=" + value + ":" + effect
}

// WaitReady polls until every node of want (name -> version) is Ready, and
// on its version where one is given, or the timeout passes; the error then
// names the nodes still missing.
func (c *Client) WaitReady(ctx context.Context, want map[string]string, timeout time.Duration, skip *fleet.Node) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var missing []string
	var lastErr error
	for {
		nodes, err := c.Nodes(ctx, skip)
		if err == nil {
			missing = notReady(nodes, want)
			if len(missing) == 0 {
				return nil
			}
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if len(missing) == 0 && lastErr != nil {
				return fmt.Errorf("wait for nodes to be Ready: %w", lastErr)
			}
			return &NotReadyError{Timeout: timeout, Missing: missing}
		case <-tick.C:
		}
	}
}

// notReady lists the nodes of want that are absent, not Ready, or on another version.
func notReady(nodes map[string]Node, want map[string]string) []string {
	var out []string
	for name, version := range want {
		n, ok := nodes[name]
		switch {
		case !ok:
			out = append(out, name+" (not registered)")
		case !n.Ready:
			out = append(out, name+" (NotReady)")
		case version != "" && n.Version != version:
			out = append(out, fmt.Sprintf("%s (runs %s, not %s)", name, n.Version, version))
		}
	}
	sort.Strings(out)
	return out
}

// NotReadyError is WaitReady's error when the timeout passed with nodes of
// want still absent, not Ready or on another version.
type NotReadyError struct {
	Timeout time.Duration
	Missing []string // "name (why)", sorted
}

// Error names each node missing and why.
func (e *NotReadyError) Error() string {
	return fmt.Sprintf("nodes not Ready after %s: %s", e.Timeout, strings.Join(e.Missing, ", "))
}

// Why returns, per node name missing, why: "not registered", "NotReady" or
// "runs VERSION, not VERSION".
func (e *NotReadyError) Why() map[string]string {
	out := map[string]string{}
	for _, m := range e.Missing {
		name, why, _ := strings.Cut(m, " (")
		out[name] = strings.TrimSuffix(why, ")")
	}
	return out
}
