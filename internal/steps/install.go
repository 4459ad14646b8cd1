package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// Paths on the hosts.
const (
	ConfigPath    = "/etc/rancher/k3s/config.yaml"
	stageDir      = "/var/lib/k3sup-pi"
	installScript = stageDir + "/install.sh"
	k3sBinary     = "/usr/local/bin/k3s"
	nodeTokenPath = "/var/lib/rancher/k3s/server/node-token"
	kubeconfigK3s = "/etc/rancher/k3s/k3s.yaml"
)

// installer puts k3s on hosts from the inventory's install source.
type installer struct {
	src        inventory.Install
	version    string // exact version, "" for a channel install
	channel    string
	bundleHash string // offline: sha256 of the bundle's k3s binary
}

// newInstaller checks the install source and, offline, hashes the bundle once.
func newInstaller(c inventory.Cluster) (*installer, error) {
	in := &installer{src: c.Install, version: c.K3sVersion, channel: c.Channel}
	if c.Install.Source != "offline" {
		return in, nil
	}
	for _, name := range []string{"k3s", "install.sh"} {
		if _, err := os.Stat(filepath.Join(c.Install.BundleDir, name)); err != nil {
			return nil, fmt.Errorf("offline bundle %s: %w (it needs k3s and install.sh)", c.Install.BundleDir, err)
		}
	}
	sum, err := remote.FileSHA256(filepath.Join(c.Install.BundleDir, "k3s"))
	if err != nil {
		return nil, fmt.Errorf("offline bundle: %w", err)
	}
	in.bundleHash = sum
	return in, nil
}

// stage makes the installer (and offline, the binary) ready on the host.
// Uploads are skipped when the host already has the same bytes.
func (in *installer) stage(ctx context.Context, n *Node) error {
	if _, err := n.Conn.Run(ctx, remote.Cmd{Script: "mkdir -p /etc/rancher/k3s " + stageDir + " && chmod 0700 " + stageDir, Sudo: true}); err != nil {
		return fmt.Errorf("stage k3s on %s: %w", n.Conn.Name(), err)
	}
	if in.src.Source != "offline" {
		script := "curl -sfL --retry 3 -o " + installScript + ".tmp " + remote.ShellQuote(in.src.ScriptURL) +
			" && mv -f " + installScript + ".tmp " + installScript
		if _, err := n.Conn.Run(ctx, remote.Cmd{Script: script, Sudo: true}); err != nil {
			return fmt.Errorf("download the k3s installer on %s from %s: %w", n.Conn.Name(), in.src.ScriptURL, err)
		}
		return nil
	}
	for _, f := range []struct{ local, remote string }{
		{filepath.Join(in.src.BundleDir, "k3s"), k3sBinary},
		{filepath.Join(in.src.BundleDir, "install.sh"), installScript},
	} {
		changed, err := n.Conn.Upload(ctx, f.local, f.remote, 0o755)
		if err != nil {
			return fmt.Errorf("upload %s to %s: %w", f.local, n.Conn.Name(), err)
		}
		if changed {
			n.note("uploaded %s", f.remote)
		}
	}
	return nil
}

// install runs the installer for the role. Settings and the token live in
// config.yaml, so the environment below carries no secret.
func (in *installer) install(ctx context.Context, n *Node, role string) error {
	env := []string{"INSTALL_K3S_EXEC=" + role}
	if in.src.Source == "offline" {
		env = append(env, "INSTALL_K3S_SKIP_DOWNLOAD=true")
	} else {
		env = append(env, "GITHUB_URL="+remote.ShellQuote(in.src.DownloadURL), "INSTALL_K3S_CHANNEL_URL="+remote.ShellQuote(in.src.ChannelURL))
		if in.version != "" {
			env = append(env, "INSTALL_K3S_VERSION="+remote.ShellQuote(in.version))
		} else {
			env = append(env, "INSTALL_K3S_CHANNEL="+remote.ShellQuote(in.channel))
		}
	}
	script := strings.Join(env, " ") + " sh " + installScript
	if _, err := n.Conn.Run(ctx, remote.Cmd{Script: script, Sudo: true}); err != nil {
		return fmt.Errorf("install k3s on %s: %w", n.Conn.Name(), err)
	}
	return nil
}

// serviceName is the systemd unit the installer writes for a role.
func serviceName(role string) string {
	if role == "server" {
		return "k3s"
	}
	return "k3s-agent"
}

// ensureK3s brings k3s on one host to the plan: config.yaml, then install, or
// restart, or start, or nothing at all.
func (in *installer) ensureK3s(ctx context.Context, n *Node, role string, config []byte, p K3sPlan) error {
	if p.WriteConfig {
		if _, err := n.Conn.WriteFile(ctx, ConfigPath, config, 0o600); err != nil {
			return fmt.Errorf("write %s on %s: %w", ConfigPath, n.Conn.Name(), err)
		}
		n.note("wrote %s", ConfigPath)
	}
	svc := serviceName(role)
	switch {
	case p.Install:
		if err := in.install(ctx, n, role); err != nil {
			return err
		}
		n.note("installed k3s %s (%s)", role, p.InstallReason)
	case p.Restart:
		if _, err := n.Conn.Run(ctx, remote.Cmd{Script: "systemctl restart " + svc, Sudo: true}); err != nil {
			return fmt.Errorf("restart %s on %s: %w", svc, n.Conn.Name(), err)
		}
		n.note("restarted %s (config changed)", svc)
	case p.Start:
		if _, err := n.Conn.Run(ctx, remote.Cmd{Script: "systemctl start " + svc, Sudo: true}); err != nil {
			return fmt.Errorf("start %s on %s: %w", svc, n.Conn.Name(), err)
		}
		n.note("started %s", svc)
	}
	return nil
}

// readRootFile returns a root-only file of the host (token, kubeconfig).
func readRootFile(ctx context.Context, n *Node, path string) ([]byte, error) {
	res, err := n.Conn.Run(ctx, remote.Cmd{Script: "cat " + path, Sudo: true})
	if err != nil {
		return nil, fmt.Errorf("read %s on %s: %w", path, n.Conn.Name(), err)
	}
	return res.Stdout, nil
}
