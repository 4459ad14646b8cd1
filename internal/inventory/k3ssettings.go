package inventory

import (
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/k3sconfig"
	"gopkg.in/yaml.v3"
)

// managedConfigKeys are k3s config keys k3sup-pi sets itself.
var managedConfigKeys = map[string]string{
	"token":              "set cluster.token or cluster.token_file instead",
	"token-file":         "set cluster.token_file instead",
	"server":             "k3sup-pi points joining nodes at the first server itself",
	"node-name":          "set the host's hostname instead",
	"datastore-endpoint": "set cluster.datastore_endpoint instead",
	"tls-san":            "k3sup-pi puts cluster.api_endpoint and each server's address there; point api_endpoint at the name clients use",
}

// kubectlConfigKeys are applied by k3sup-pi through kubectl, not config.yaml:
// k3s reads them only when a node first registers.
var kubectlConfigKeys = map[string]string{"node-label": "labels", "node-taint": "taints"}

// config decodes server_config or agent_config (role says which): k3s
// config.yaml keys, each checked here so that a mistake stops the run before
// any host is touched, not when the first agent's config is rendered.
func (d *decoder) config(n *yaml.Node, path, role string, out *map[string]any) {
	if n.Kind != yaml.MappingNode {
		d.add(at(n), path, "expected a mapping of k3s config.yaml keys like {disable: [traefik]}, got %s", describe(n, false))
		return
	}
	d.pos[path] = at(n)
	before := len(d.list)
	for _, p := range d.pairs(n, path) {
		d.configSetting(p, join(path, p.key.Value), role)
	}
	if len(d.list) > before {
		return
	}
	m := map[string]any{}
	if err := n.Decode(&m); err != nil {
		d.add(at(n), path, "cannot read these k3s settings: %v", err)
		return
	}
	*out = m
}

// configSetting checks one k3s setting: its key for the role, the shape of
// its value, and the value itself for the keys whose syntax k3s fixes.
func (d *decoder) configSetting(p pair, kp, role string) {
	if msg := configKeyProblem(p.key.Value, role); msg != "" {
		d.add(at(p.key), kp, "%s", msg)
		return
	}
	items := d.configItems(p.val, kp, !singleValued[p.key.Value])
	check := k3sValueChecks[p.key.Value]
	for _, it := range items {
		switch {
		case secretPath(kp):
			if msg := checkSecret(it.Value, "remove the key"); msg != "" {
				d.add(at(it), kp, "%s", msg)
			}
		case check != nil:
			d.checkItem(it, kp, check, !singleValued[p.key.Value])
		}
	}
}

// checkItem runs check on the item, or on each comma-separated part of it
// for the keys k3s splits at commas.
func (d *decoder) checkItem(it *yaml.Node, kp string, check func(string) string, split bool) {
	parts := []string{it.Value}
	if split {
		parts = strings.Split(it.Value, ",")
	}
	for _, part := range parts {
		if msg := check(part); msg != "" {
			d.add(at(it), kp, "%s", msg)
		}
	}
}

func configKeyProblem(key, role string) string {
	if hint, ok := managedConfigKeys[key]; ok {
		return fmt.Sprintf("k3sup-pi manages %q; %s", key, hint)
	}
	if field, ok := kubectlConfigKeys[key]; ok {
		return fmt.Sprintf("%q goes on the hosts: set %s: on each host instead (k3s reads %s only when a node first registers; k3sup-pi applies %s through kubectl and keeps them in step)",
			key, field, key, field)
	}
	switch {
	case strings.HasPrefix(key, "-"):
		return fmt.Sprintf("write the k3s flag name without leading dashes: %q", strings.TrimLeft(key, "-"))
	case strings.Contains(key, "_"):
		return fmt.Sprintf("k3s config keys use dashes; write %q", strings.ReplaceAll(key, "_", "-"))
	case role == RoleAgent && k3sconfig.ServerOnly(key):
		return fmt.Sprintf("%q is a setting of k3s servers, which agents refuse; move it to cluster.server_config", key)
	}
	return ""
}

// configItems returns the scalar values of a k3s setting (one, or the items
// of a list), after checking its shape: a value, or a non-empty list of
// values when list is true.
func (d *decoder) configItems(v *yaml.Node, kp string, list bool) []*yaml.Node {
	secret := secretPath(kp)
	switch {
	case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null":
		d.add(at(v), kp, "has no value; give one or remove the key")
	case v.Kind == yaml.ScalarNode:
		return []*yaml.Node{v}
	case v.Kind == yaml.SequenceNode && !list:
		d.add(at(v), kp, "takes one value, not a list")
	case v.Kind == yaml.SequenceNode && len(v.Content) == 0:
		d.add(at(v), kp, "is an empty list; give values or remove the key")
	case v.Kind == yaml.SequenceNode:
		var out []*yaml.Node
		bad := false
		for _, use := range v.Content {
			if !d.spend(use, kp) {
				return out
			}
			if it := resolve(use); it.Kind == yaml.ScalarNode && it.ShortTag() != "!!null" {
				out = append(out, it)
			} else if !bad { // once per list: aliases may repeat one item many times
				bad = true
				d.add(at(use), kp, "a list item must be a single value, not %s", describe(it, secret))
			}
		}
		return out
	default:
		d.add(at(v), kp, "expected a value or a list of values, got %s", describe(v, secret))
	}
	return nil
}
