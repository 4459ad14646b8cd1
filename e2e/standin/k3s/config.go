package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is the merged configuration of one k3s process: config.yaml,
// config.yaml.d/*.yaml, then command-line flags, then environment defaults.
type Config struct {
	Role                 string
	ConfigFile           string
	Token                string
	TokenFile            string
	Server               string
	ClusterInit          bool
	TLSSAN               []string
	NodeName             string
	NodeIP               []string
	NodeLabel            []string
	NodeTaint            []string
	Disable              []string
	FlannelBackend       string
	DatastoreEndpoint    string
	ClusterCIDR          string
	ServiceCIDR          string
	WriteKubeconfigMode  string
	DataDir              string
	KubeletArg           []string
	KubeAPIServerArg     []string
	DisableNetworkPolicy bool
	WithNodeID           bool
	BindAddress          string
	HTTPSPort            int
	Debug                bool
}

type flagKind int

const (
	kindString flagKind = iota
	kindBool
	kindList
	kindInt
)

// flagSpec describes one flag: where it is valid and where its value goes.
type flagSpec struct {
	name, short, env string
	kind             flagKind
	serverOnly       bool
	str              *string
	b                *bool
	list             *[]string
	n                *int
}

func (c *Config) specs() []flagSpec {
	return []flagSpec{
		{name: "config", short: "c", env: "K3S_CONFIG_FILE", str: &c.ConfigFile},
		{name: "token", short: "t", env: "K3S_TOKEN", str: &c.Token},
		{name: "token-file", env: "K3S_TOKEN_FILE", str: &c.TokenFile},
		{name: "server", short: "s", env: "K3S_URL", str: &c.Server},
		{name: "cluster-init", env: "K3S_CLUSTER_INIT", kind: kindBool, b: &c.ClusterInit, serverOnly: true},
		{name: "tls-san", kind: kindList, list: &c.TLSSAN, serverOnly: true},
		{name: "node-name", env: "K3S_NODE_NAME", str: &c.NodeName},
		{name: "node-ip", short: "i", kind: kindList, list: &c.NodeIP},
		{name: "node-label", kind: kindList, list: &c.NodeLabel},
		{name: "node-taint", kind: kindList, list: &c.NodeTaint},
		{name: "disable", kind: kindList, list: &c.Disable, serverOnly: true},
		{name: "flannel-backend", str: &c.FlannelBackend, serverOnly: true},
		{name: "datastore-endpoint", env: "K3S_DATASTORE_ENDPOINT", str: &c.DatastoreEndpoint, serverOnly: true},
		{name: "cluster-cidr", str: &c.ClusterCIDR, serverOnly: true},
		{name: "service-cidr", str: &c.ServiceCIDR, serverOnly: true},
		{name: "write-kubeconfig-mode", env: "K3S_KUBECONFIG_MODE", str: &c.WriteKubeconfigMode, serverOnly: true},
		{name: "data-dir", short: "d", env: "K3S_DATA_DIR", str: &c.DataDir},
		{name: "kubelet-arg", kind: kindList, list: &c.KubeletArg},
		{name: "kube-apiserver-arg", kind: kindList, list: &c.KubeAPIServerArg, serverOnly: true},
		{name: "disable-network-policy", kind: kindBool, b: &c.DisableNetworkPolicy, serverOnly: true},
		{name: "with-node-id", kind: kindBool, b: &c.WithNodeID},
		{name: "bind-address", str: &c.BindAddress, serverOnly: true},
		{name: "https-listen-port", kind: kindInt, n: &c.HTTPSPort, serverOnly: true},
		{name: "debug", env: "K3S_DEBUG", kind: kindBool, b: &c.Debug},
	}
}

// lookup finds the spec for a flag name valid for role.
func (c *Config) lookup(specs []flagSpec, name string) (*flagSpec, bool) {
	for i := range specs {
		s := &specs[i]
		if s.name != name && (s.short == "" || s.short != name) {
			continue
		}
		if s.serverOnly && c.Role != "server" {
			return nil, false
		}
		return s, true
	}
	return nil, false
}

// loadConfig builds the configuration for role from files, args and env.
func loadConfig(role string, args []string) (*Config, error) {
	c := &Config{Role: role, HTTPSPort: 6443}
	specs := c.specs()
	cli, err := c.parseArgs(specs, args)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	if err := c.applyFiles(specs, set, cli); err != nil {
		return nil, err
	}
	for _, a := range cli {
		if err := a.spec.assign(a.value, a.appendList); err != nil {
			return nil, fmt.Errorf("invalid value for flag -%s: %w", a.spec.name, err)
		}
		set[a.spec.name] = true
	}
	c.applyEnv(specs, set)
	return c, c.finish()
}

// assignment is one flag=value from the command line or a config file.
type assignment struct {
	spec       *flagSpec
	value      any
	appendList bool
}

func (c *Config) parseArgs(specs []flagSpec, args []string) ([]assignment, error) {
	var out []assignment
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			return nil, usagef("Incorrect Usage: unexpected argument %q", a)
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		s, ok := c.lookup(specs, name)
		if !ok {
			return nil, usagef("Incorrect Usage: flag provided but not defined: -%s", name)
		}
		if !hasVal && s.kind != kindBool {
			if i+1 >= len(args) {
				return nil, usagef("Incorrect Usage: flag needs an argument: -%s", name)
			}
			i++
			val, hasVal = args[i], true
		}
		if !hasVal {
			val = "true"
		}
		out = append(out, assignment{spec: s, value: val, appendList: true})
	}
	return out, nil
}

// applyFiles reads config.yaml then config.yaml.d/*.yaml in name order.
func (c *Config) applyFiles(specs []flagSpec, set map[string]bool, cli []assignment) error {
	file := configPath()
	for _, a := range cli {
		if a.spec.name == "config" {
			file = a.value.(string)
		}
	}
	if v := os.Getenv("K3S_CONFIG_FILE"); v != "" && file == configPath() {
		file = v
	}
	files := []string{file}
	extra, _ := filepath.Glob(file + ".d/*.yaml")
	sort.Strings(extra)
	for _, f := range append(files, extra...) {
		if err := c.applyFile(specs, set, f); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) applyFile(specs []flagSpec, set map[string]bool, file string) error {
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading config file %s: %w", file, err)
	}
	var kv map[string]any
	if err := yaml.Unmarshal(b, &kv); err != nil {
		return fmt.Errorf("parsing config file %s: %w", file, err)
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name, appendList := strings.CutSuffix(k, "+")
		s, ok := c.lookup(specs, name)
		if !ok || name == "config" {
			return usagef("Incorrect Usage: flag provided but not defined: -%s (key %q in %s)", name, k, file)
		}
		if err := s.assign(kv[k], appendList); err != nil {
			return fmt.Errorf("invalid value for key %q in %s: %w", k, file, err)
		}
		set[s.name] = true
	}
	return nil
}

func (c *Config) applyEnv(specs []flagSpec, set map[string]bool) {
	for i := range specs {
		s := &specs[i]
		if s.env == "" || set[s.name] || (s.serverOnly && c.Role != "server") {
			continue
		}
		if v := os.Getenv(s.env); v != "" {
			_ = s.assign(v, false)
		}
	}
}

// finish resolves the token file and checks what the role requires.
func (c *Config) finish() error {
	if c.Token == "" && c.TokenFile != "" {
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return fmt.Errorf("failed to read token file %s: %w", c.TokenFile, err)
		}
		c.Token = strings.TrimSpace(string(b))
	}
	if c.Role == "agent" {
		if c.Server == "" {
			return usagef("Error: --server is required")
		}
		if c.Token == "" {
			return usagef("Error: --token is required")
		}
	}
	if c.Server != "" && c.Token == "" {
		return usagef("Error: --token is required when joining a server")
	}
	if c.WriteKubeconfigMode != "" {
		if _, err := strconv.ParseUint(c.WriteKubeconfigMode, 8, 32); err != nil {
			return fmt.Errorf("invalid write-kubeconfig-mode %q: %w", c.WriteKubeconfigMode, err)
		}
	}
	return nil
}

// usageError carries a message worded exactly as k3s words it (k3s starts
// these with a capital letter, which fmt.Errorf style would not allow).
type usageError string

func (e usageError) Error() string { return string(e) }

func usagef(format string, a ...any) error { return usageError(fmt.Sprintf(format, a...)) }
