// Package inventory reads, defaults and validates the k3sup-pi inventory file:
// the cluster settings, the SSH defaults and the hosts. Decoding walks the YAML
// node tree so that every problem is reported at once, each with its file,
// line, column and key path.
package inventory

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/localfile"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// Inventory is a loaded, defaulted and validated inventory file.
type Inventory struct {
	File    string // the file name as given to Load or Parse, used in messages
	Cluster Cluster
	SSH     SSH
	Hosts   []Host

	dir string         // absolute directory of File; relative paths resolve against it
	pos map[string]pos // where each key path was set (file position or override origin)
}

// Cluster holds the cluster-wide settings.
type Cluster struct {
	Name              string         // default "k3s"; used for the kubeconfig context
	K3sVersion        string         // exact version like v1.31.4+k3s1; "" → Channel
	Channel           string         // default "stable" when K3sVersion is ""
	Token             string         // secret; never printed by String or GoString
	TokenFile         string         // local file holding the token (read by TokenValue)
	APIEndpoint       string         // host[:port] for the kubeconfig and tls-san; default: first server's address
	DatastoreEndpoint string         // external datastore; secret-bearing, never printed
	ServerConfig      map[string]any // extra k3s config.yaml keys for servers
	AgentConfig       map[string]any // extra k3s config.yaml keys for agents
	BatchSize         int            // agents joined per batch; default 50
	MaxFailures       string         // agents that may fail before no further batch starts: "3" or "10%"; "" = 0
	TaintServers      bool           // node-role.kubernetes.io/control-plane=true:NoSchedule on servers
	DrainOnUpgrade    bool           // cordon and drain each node before its k3s version changes, uncordon once Ready
	LabelWorkers      bool           // node-role.kubernetes.io/worker=true on agents
	Install           Install
	Kubeconfig        string        // where `up` writes the kubeconfig; default "<inventory dir>/kubeconfig"
	Concurrency       int           // parallel SSH connections; default 30
	RebootTimeout     time.Duration // default 10m
	ReadyTimeout      time.Duration // per node or batch Ready wait; default 5m
	InstallTimeout    time.Duration // per host: staging, the installer, a start or restart of k3s; default 10m
}

// Install says where k3s comes from.
type Install struct {
	Source      string // "online" (default: hosts download) or "offline" (upload a local bundle)
	ScriptURL   string // online: install script URL, default https://get.k3s.io
	DownloadURL string // online: GITHUB_URL for the installer, default https://github.com/k3s-io/k3s/releases
	ChannelURL  string // online: INSTALL_K3S_CHANNEL_URL, default https://update.k3s.io/v1-release/channels
	BundleDir   string // offline: directory holding `k3s` and `install.sh`
}

// Offline reports whether k3s comes from a local bundle uploaded to the hosts
// rather than downloaded by each host.
func (i Install) Offline() bool { return i.Source == SourceOffline }

// SSH holds the SSH defaults every host inherits.
type SSH struct {
	User             string // "" → ~/.ssh/config's User, else DefaultSSHUser ("pi")
	Port             int    // 0 → ~/.ssh/config's Port, else 22
	Key              string // private key file; "" → agent and ssh defaults
	KnownHosts       string // known_hosts file; "" → the remote layer's default
	ConfigFile       string // ssh_config file to read aliases from; NoSSHConfig reads none
	ProxyJump        string // [user@]host[:port][,...] jump hosts
	SudoPasswordEnv  string // environment variable holding the sudo password; default K3SUP_PI_SUDO_PASSWORD
	SudoPasswordFile string // file holding the sudo password
}

// Host is one machine of the fleet.
type Host struct {
	Address   string            // IPv4, IPv6, DNS name or ssh_config alias
	Role      role.Role         // role.Server or role.Agent, resolved after defaults
	Hostname  string            // hostname to set on the host and node name; "" keeps the host's own
	Labels    map[string]string // node labels
	Taints    []string          // node taints, key[=value]:Effect
	User      string            // per-host SSH user; "" → SSH.User
	Port      int               // per-host SSH port; 0 → SSH.Port
	Key       string            // per-host private key; "" → SSH.Key
	ProxyJump string            // per-host jump hosts; "" → SSH.ProxyJump
	Line      int               // line of the host entry, for later error messages

	sshPort int  // Port, else SSH.Port, else DefaultSSHPort (set by Load)
	shared  bool // another host has the same Address (on another port); see Name
}

// Servers returns the server hosts in file order; the first is the init server.
func (inv *Inventory) Servers() []Host { return inv.withRole(role.Server) }

// Agents returns the agent hosts in file order.
func (inv *Inventory) Agents() []Host { return inv.withRole(role.Agent) }

func (inv *Inventory) withRole(r role.Role) []Host {
	var out []Host
	for _, h := range inv.Hosts {
		if h.Role == r {
			out = append(out, h)
		}
	}
	return out
}

// TokenValue returns Cluster.Token, or the trimmed content of Cluster.TokenFile,
// or "" when neither is set (the first server then generates one).
func (inv *Inventory) TokenValue() (string, error) {
	c := inv.Cluster
	if c.Token != "" || c.TokenFile == "" {
		return c.Token, nil
	}
	path := inv.resolvePath(c.TokenFile)
	data, err := localfile.Read(context.Background(), path, localfile.MaxSecret)
	if err != nil {
		return "", fmt.Errorf("read cluster.token_file: %w", err)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", fmt.Errorf("cluster.token_file %s is empty; put the token in it or remove the key", path)
	}
	return tok, nil
}

// EmbeddedEtcd reports whether the servers run embedded etcd: more than one
// server and no DatastoreEndpoint, or cluster-init set in ServerConfig.
func (inv *Inventory) EmbeddedEtcd() bool {
	if inv.Cluster.DatastoreEndpoint != "" {
		return false
	}
	if v, ok := inv.Cluster.ServerConfig["cluster-init"].(bool); ok && v {
		return true
	}
	return len(inv.Servers()) > 1
}

// DefaultPath is $K3SUP_PI_INVENTORY, or "./inventory.yml" when it is unset.
func DefaultPath() string {
	if p := os.Getenv("K3SUP_PI_INVENTORY"); p != "" {
		return p
	}
	return "./inventory.yml"
}

// resolvePath makes p absolute against the inventory directory; "~" is home.
func (inv *Inventory) resolvePath(p string) string {
	return expandPath(p, inv.dir)
}

// expandPath expands a leading "~" to the home directory and joins a relative
// path to base. An empty path stays empty.
func expandPath(p, base string) string {
	if p == "" {
		return ""
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[1:])
		}
	}
	if filepath.IsAbs(p) || base == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

const redacted = "<redacted>"

// String prints the cluster settings with Token and DatastoreEndpoint redacted.
func (c Cluster) String() string {
	type plain Cluster
	return fmt.Sprintf("%+v", plain(c.redact()))
}

// GoString is like String, for %#v.
func (c Cluster) GoString() string {
	type plain Cluster
	return fmt.Sprintf("%#v", plain(c.redact()))
}

func (c Cluster) redact() Cluster {
	if c.Token != "" {
		c.Token = redacted
	}
	if c.DatastoreEndpoint != "" {
		c.DatastoreEndpoint = redacted
	}
	return c
}
