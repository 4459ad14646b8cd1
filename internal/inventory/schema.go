package inventory

import (
	"fmt"
	"sort"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/role"
	"gopkg.in/yaml.v3"
)

// The field tables below map each YAML key to the field it fills. They are the
// schema: unknown-key checks and "did you mean" suggestions are derived from them.

func rootFields(inv *Inventory, d *decoder) map[string]any {
	return map[string]any{
		"cluster": d.sub(func() map[string]any { return clusterFields(&inv.Cluster, d) }),
		"ssh":     d.sub(func() map[string]any { return sshFields(&inv.SSH) }),
		"hosts":   section(func(n *yaml.Node, path string) { d.hosts(n, path, inv) }),
	}
}

func clusterFields(c *Cluster, d *decoder) map[string]any {
	return map[string]any{
		"name": &c.Name, "k3s_version": &c.K3sVersion, "channel": &c.Channel,
		"token": &c.Token, "token_file": &c.TokenFile, "api_endpoint": &c.APIEndpoint,
		"datastore_endpoint": &c.DatastoreEndpoint,
		"server_config":      section(func(n *yaml.Node, p string) { d.config(n, p, role.Server, &c.ServerConfig) }),
		"agent_config":       section(func(n *yaml.Node, p string) { d.config(n, p, role.Agent, &c.AgentConfig) }),
		"batch_size":         &c.BatchSize, "max_failures": &c.MaxFailures, "taint_servers": &c.TaintServers, "drain_on_upgrade": &c.DrainOnUpgrade, "label_workers": &c.LabelWorkers,
		"install":    d.sub(func() map[string]any { return installFields(&c.Install) }),
		"kubeconfig": &c.Kubeconfig, "concurrency": &c.Concurrency,
		"reboot_timeout": &c.RebootTimeout, "ready_timeout": &c.ReadyTimeout, "install_timeout": &c.InstallTimeout,
	}
}

func installFields(i *Install) map[string]any {
	return map[string]any{
		"source": &i.Source, "script_url": &i.ScriptURL, "download_url": &i.DownloadURL,
		"channel_url": &i.ChannelURL, "bundle_dir": &i.BundleDir,
	}
}

func sshFields(s *SSH) map[string]any {
	return map[string]any{
		"user": &s.User, "port": &s.Port, "key": &s.Key, "known_hosts": &s.KnownHosts,
		"config_file": &s.ConfigFile, "proxy_jump": &s.ProxyJump,
		"sudo_password_env": &s.SudoPasswordEnv, "sudo_password_file": &s.SudoPasswordFile,
	}
}

func hostFields(h *Host, d *decoder) map[string]any {
	return map[string]any{
		"address": &h.Address, "role": &h.Role, "hostname": &h.Hostname,
		"labels": section(func(n *yaml.Node, p string) { d.labels(n, p, &h.Labels) }),
		"taints": section(func(n *yaml.Node, p string) { d.taints(n, p, &h.Taints) }),
		"user":   &h.User, "port": &h.Port, "key": &h.Key, "proxy_jump": &h.ProxyJump,
	}
}

// sub decodes a nested mapping with the field table fields returns.
func (d *decoder) sub(fields func() map[string]any) section {
	return func(n *yaml.Node, path string) {
		if n.Kind != yaml.MappingNode {
			d.add(at(n), path, "expected a mapping of settings, got %s", describe(n, true))
			return
		}
		d.pos[path] = at(n)
		d.mapping(n, path, fields())
	}
}

// hosts decodes the hosts list. Every entry yields a Host, even a broken one,
// so that indexes in messages match the file.
func (d *decoder) hosts(n *yaml.Node, path string, inv *Inventory) {
	if n.Kind != yaml.SequenceNode {
		d.add(at(n), path, "expected a list of hosts (lines starting with \"- address: ...\"), got %s", describe(n, false))
		d.markBad(n, path)
		return
	}
	d.pos[path] = at(n)
	for i, e := range n.Content {
		hp := fmt.Sprintf("%s[%d]", path, i)
		if !d.spend(e, hp) {
			return
		}
		d.via = nil
		if e.Kind == yaml.AliasNode {
			d.via = e // an aliased host's values are placed at the alias
		}
		e = resolve(e)
		h := Host{Line: d.here(e).line}
		d.pos[hp] = d.here(e)
		if e.Kind == yaml.MappingNode {
			d.mapping(e, hp, hostFields(&h, d))
		} else {
			d.add(at(e), hp, "expected a host mapping like \"- address: 192.168.1.10\", got %s", describe(e, false))
			d.markBad(e, hp+".address")
		}
		inv.Hosts = append(inv.Hosts, h)
	}
	d.via = nil
}

// schemaKeys lists the keys of every section, for misplaced-key hints.
func schemaKeys() map[string][]string {
	d := &decoder{pos: map[string]pos{}}
	inv := &Inventory{}
	out := map[string][]string{}
	for name, f := range map[string]map[string]any{
		"the top level": rootFields(inv, d), "cluster": clusterFields(&inv.Cluster, d),
		"cluster.install": installFields(&inv.Cluster.Install), "ssh": sshFields(&inv.SSH),
		"a host": hostFields(&Host{}, d),
	} {
		out[name] = keysOf(f)
	}
	return out
}

func keysOf(fields map[string]any) []string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// unknownKey explains an unknown key: a near miss, a key of another section,
// or the list of keys allowed here.
func unknownKey(key, path string, fields map[string]any) string {
	keys := keysOf(fields)
	msg := fmt.Sprintf("unknown key %q", key)
	if s := closest(key, keys); s != "" {
		return msg + fmt.Sprintf("; did you mean %q?", s)
	}
	var homes []string
	for name, ks := range schemaKeys() {
		if i := sort.SearchStrings(ks, key); i < len(ks) && ks[i] == key {
			homes = append(homes, name)
		}
	}
	if len(homes) > 0 {
		sort.Strings(homes)
		return msg + fmt.Sprintf("; %s is a setting of %s, move it there", key, strings.Join(homes, " or "))
	}
	where := path
	if where == "" {
		where = "the top level"
	}
	return msg + fmt.Sprintf("; %s takes %s", where, strings.Join(keys, ", "))
}

// closest returns the known key nearest to key, or "" when none is near.
func closest(key string, keys []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
	}
	best, bestDist := "", 3
	if len(key) < 5 {
		bestDist = 2
	}
	for _, k := range keys {
		if norm(k) == norm(key) {
			return k
		}
		if dist := levenshtein(key, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	return best
}

func levenshtein(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
