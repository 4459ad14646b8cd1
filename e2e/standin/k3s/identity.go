package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// identity is who this node is: its name, addresses and node password.
type identity struct {
	name     string
	hostname string
	ips      []string
	password string
}

func loadIdentity(cfg *Config) (identity, error) {
	host, err := os.Hostname()
	if err != nil {
		return identity{}, fmt.Errorf("reading hostname: %w", err)
	}
	name := cfg.NodeName
	if name == "" {
		name = host
	}
	if cfg.WithNodeID {
		id, err := readOrCreate(nodeIDPath(), func() string { return randomHex(4) })
		if err != nil {
			return identity{}, err
		}
		name += "-" + id
	}
	pw, err := readOrCreate(nodePasswordPath(), func() string { return randomHex(16) })
	if err != nil {
		return identity{}, err
	}
	ips := cfg.NodeIP
	if len(ips) == 0 {
		ips = []string{detectIP()}
	}
	return identity{name: strings.ToLower(name), hostname: host, ips: ips, password: pw}, nil
}

// readOrCreate returns the trimmed content of path, creating it (0600)
// with gen() when it does not exist.
func readOrCreate(path string, gen func() string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !os.IsNotExist(err) {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	v := gen()
	if err := writeFileAtomic(path, []byte(v+"\n"), 0o600); err != nil {
		return "", err
	}
	return v, nil
}

// detectIP returns the first non-loopback IPv4 address, as k3s does when no
// node-ip is configured.
func detectIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "127.0.0.1"
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return "127.0.0.1"
}

// baseLabels are the labels every node carries (role labels on servers).
func baseLabels(name string, server, etcd bool) map[string]string {
	m := map[string]string{
		"kubernetes.io/hostname": name, "kubernetes.io/arch": runtime.GOARCH, "kubernetes.io/os": "linux",
		"beta.kubernetes.io/arch": runtime.GOARCH, "beta.kubernetes.io/os": "linux",
		"node.kubernetes.io/instance-type": "k3s", "beta.kubernetes.io/instance-type": "k3s",
	}
	if server {
		m["node-role.kubernetes.io/control-plane"] = "true"
		m["node-role.kubernetes.io/master"] = "true"
	}
	if etcd {
		m["node-role.kubernetes.io/etcd"] = "true"
	}
	return m
}

func (id identity) registration(cfg *Config, labels map[string]string) registration {
	return registration{Name: id.name, Password: id.password, IP: id.ips[0], Hostname: id.hostname,
		Version: version, Labels: labels, Extra: cfg.NodeLabel, Taints: cfg.NodeTaint}
}

// durationSetting reads a duration from the environment (or the unit's env
// file); a bare number means seconds.
func durationSetting(key string, def time.Duration) time.Duration {
	v := strings.TrimSpace(envFromUnitFiles(key))
	if v == "" {
		return def
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Duration(n * float64(time.Second))
	}
	if d, err := time.ParseDuration(v); err == nil {
		return d
	}
	logf("warning", "ignoring invalid %s=%q", key, v)
	return def
}
