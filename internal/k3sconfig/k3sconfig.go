// Package k3sconfig renders /etc/rancher/k3s/config.yaml, the file through which
// k3sup-pi hands k3s its settings (the token included, so it never shows on a
// command line).
//
// The output is deterministic (sorted keys, lists in the order given), so the
// sha256 of the rendered bytes, compared with the file's on the host, tells
// whether the configuration changed and k3s must be restarted.
//
// node-label and node-taint are deliberately not rendered: k3s applies them only
// when a node first registers, so changing them later in config.yaml would do
// nothing but restart k3s. k3sup-pi applies labels and taints through kubectl
// instead, and Render refuses them in Extra.
package k3sconfig

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"

	"github.com/k3sup-pi/k3sup-pi/internal/role"
	"gopkg.in/yaml.v3"
)

// Header is the comment on the first line of every rendered config.
const Header = "# Managed by k3sup-pi; local edits are overwritten on the next 'k3sup-pi up'.\n"

// Node is everything that goes into one host's config.yaml.
type Node struct {
	Role              role.Role      // role.Server or role.Agent
	NodeName          string         // node-name
	ClusterInit       bool           // cluster-init: the first server of an embedded-etcd cluster
	ServerURL         string         // server: "" for the first server
	Token             string         // token
	TLSSANs           []string       // tls-san (servers only)
	DatastoreEndpoint string         // datastore-endpoint (servers only)
	NodeIP            string         // node-ip
	Extra             map[string]any // further k3s flags by name, without the leading "--"
}

// Render returns the config.yaml for n: the Header, then the keys in sorted order.
func Render(n Node) ([]byte, error) {
	if err := check(n); err != nil {
		return nil, err
	}
	m, err := settings(n)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(Header)
	if len(m) == 0 {
		return buf.Bytes(), nil
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("render k3s config for %q: %w", n.NodeName, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render k3s config for %q: %w", n.NodeName, err)
	}
	return buf.Bytes(), nil
}

// Hash returns the sha256 of b in lower-case hex, the form `sha256sum` prints.
func Hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// check validates the typed fields of n against its role.
func check(n Node) error {
	switch n.Role {
	case role.Server:
		if n.ClusterInit && n.ServerURL != "" {
			return fmt.Errorf("k3s config for %q: cluster-init is for the first server only, not one joining %s", n.NodeName, n.ServerURL)
		}
		if n.ClusterInit && n.DatastoreEndpoint != "" {
			return fmt.Errorf("k3s config for %q: cluster-init (embedded etcd) and datastore-endpoint exclude each other", n.NodeName)
		}
	case role.Agent:
		switch {
		case n.ServerURL == "":
			return fmt.Errorf("k3s config for agent %q: no server URL to join", n.NodeName)
		case n.Token == "":
			return fmt.Errorf("k3s config for agent %q: no token to join with", n.NodeName)
		case n.ClusterInit:
			return fmt.Errorf("k3s config for agent %q: cluster-init is a server-only setting", n.NodeName)
		case len(n.TLSSANs) > 0:
			return fmt.Errorf("k3s config for agent %q: tls-san is a server-only setting", n.NodeName)
		case n.DatastoreEndpoint != "":
			return fmt.Errorf("k3s config for agent %q: datastore-endpoint is a server-only setting", n.NodeName)
		}
	default:
		return fmt.Errorf("k3s config for %q: role %q is neither %q nor %q", n.NodeName, n.Role, role.Server, role.Agent)
	}
	return nil
}

// settings gathers the keys of n's config: the typed fields, then Extra.
func settings(n Node) (map[string]any, error) {
	m := map[string]any{}
	set := func(key string, v any, ok bool) {
		if ok {
			m[key] = v
		}
	}
	set("token", n.Token, n.Token != "")
	set("server", n.ServerURL, n.ServerURL != "")
	set("cluster-init", true, n.ClusterInit)
	set("tls-san", append([]string(nil), n.TLSSANs...), len(n.TLSSANs) > 0)
	set("node-name", n.NodeName, n.NodeName != "")
	set("datastore-endpoint", n.DatastoreEndpoint, n.DatastoreEndpoint != "")
	set("node-ip", n.NodeIP, n.NodeIP != "")
	for _, key := range slices.Sorted(maps.Keys(n.Extra)) {
		v := n.Extra[key]
		if err := checkExtra(n, m, key, v); err != nil {
			return nil, fmt.Errorf("k3s config for %q: %w", n.NodeName, err)
		}
		m[key] = v
	}
	return m, nil
}
