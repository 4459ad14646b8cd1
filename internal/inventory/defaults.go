package inventory

import (
	"path/filepath"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// Defaults for settings the file leaves out.
const (
	DefaultClusterName     = "k3s"
	DefaultChannel         = "stable"
	DefaultBatchSize       = 50
	DefaultConcurrency     = 30
	DefaultRebootTimeout   = 10 * time.Minute
	DefaultReadyTimeout    = 5 * time.Minute
	DefaultInstallTimeout  = 10 * time.Minute
	DefaultSSHUser         = "pi"
	DefaultSSHPort         = 22
	DefaultSudoPasswordEnv = "K3SUP_PI_SUDO_PASSWORD"
	DefaultScriptURL       = "https://get.k3s.io"
	DefaultDownloadURL     = "https://github.com/k3s-io/k3s/releases"
	DefaultChannelURL      = "https://update.k3s.io/v1-release/channels"
	SourceOnline           = "online"
	SourceOffline          = "offline"
)

// applyDefaults fills what the file left out, resolves roles and expands paths.
// Numbers set explicitly (even to 0) are kept, so validation can reject them.
func applyDefaults(inv *Inventory) {
	c := &inv.Cluster
	setStr(&c.Name, DefaultClusterName)
	if c.K3sVersion == "" {
		setStr(&c.Channel, DefaultChannel)
	}
	setUnset(inv, "cluster.batch_size", &c.BatchSize, DefaultBatchSize)
	setUnset(inv, "cluster.concurrency", &c.Concurrency, DefaultConcurrency)
	setUnset(inv, "cluster.reboot_timeout", &c.RebootTimeout, DefaultRebootTimeout)
	setUnset(inv, "cluster.ready_timeout", &c.ReadyTimeout, DefaultReadyTimeout)
	setUnset(inv, "cluster.install_timeout", &c.InstallTimeout, DefaultInstallTimeout)
	setStr(&c.Install.Source, SourceOnline)
	setStr(&c.Install.ScriptURL, DefaultScriptURL)
	setStr(&c.Install.DownloadURL, DefaultDownloadURL)
	setStr(&c.Install.ChannelURL, DefaultChannelURL)
	setStr(&c.Kubeconfig, filepath.Join(inv.dir, "kubeconfig"))
	setStr(&inv.SSH.SudoPasswordEnv, DefaultSudoPasswordEnv)
	resolveRoles(inv.Hosts)
	inv.markShared()
	if servers := inv.Servers(); len(servers) > 0 {
		setStr(&c.APIEndpoint, servers[0].Address)
	}
	inv.expandPaths()
}

func setStr(p *string, def string) {
	if *p == "" {
		*p = def
	}
}

// setUnset sets *p to def unless path was given a valid value (even a zero one).
func setUnset[T any](inv *Inventory, path string, p *T, def T) {
	if !inv.given(path) {
		*p = def
	}
}

// given reports whether path got a usable value from the file or an override.
func (inv *Inventory) given(path string) bool {
	p, ok := inv.pos[path]
	return ok && p.origin != badOrigin
}

// resolveRoles: with no role anywhere the first host is the server and the
// rest agents; otherwise hosts without a role are agents.
func resolveRoles(hosts []Host) {
	anyRole := false
	for _, h := range hosts {
		anyRole = anyRole || h.Role != ""
	}
	for i := range hosts {
		switch {
		case hosts[i].Role != "":
		case !anyRole && i == 0:
			hosts[i].Role = role.Server
		default:
			hosts[i].Role = role.Agent
		}
	}
}

func (inv *Inventory) expandPaths() {
	for _, p := range []*string{
		&inv.Cluster.TokenFile, &inv.Cluster.Kubeconfig, &inv.Cluster.Install.BundleDir,
		&inv.SSH.Key, &inv.SSH.KnownHosts, &inv.SSH.ConfigFile, &inv.SSH.SudoPasswordFile,
	} {
		if p == &inv.SSH.ConfigFile && *p == NoSSHConfig {
			continue
		}
		*p = inv.resolvePath(*p)
	}
	for i := range inv.Hosts {
		inv.Hosts[i].Key = inv.resolvePath(inv.Hosts[i].Key)
	}
}

// NoSSHConfig as ssh.config_file means: read no ssh_config at all (not a path).
const NoSSHConfig = "none"
