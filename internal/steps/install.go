package steps

import (
	"context"
	_ "embed" // stage.sh, download.sh
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// The scripts of the installer's steps.
var (
	//go:embed stage.sh
	stageSh string
	//go:embed download.sh
	downloadSh string
)

// installer puts k3s on hosts from the inventory's install source.
type installer struct {
	src        inventory.Install
	version    string // exact version, "" for a channel install
	channel    string
	bundleHash string        // offline: sha256 of the bundle's k3s binary
	timeout    time.Duration // cluster.install_timeout: the bound of each step on a host
	mu         sync.Mutex
	began      map[*fleet.Node]bool // the nodes ensureK3s started on (an interrupted run names the others)
}

// begin records that ensureK3s started on n.
func (in *installer) begin(n *fleet.Node) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.began == nil {
		in.began = map[*fleet.Node]bool{}
	}
	in.began[n] = true
}

// begun tells whether ensureK3s started on n.
func (in *installer) begun(n *fleet.Node) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.began[n]
}

// newInstaller checks the install source and, offline, hashes the bundle once.
func newInstaller(c inventory.Cluster) (*installer, error) {
	in := &installer{src: c.Install, version: c.K3sVersion, channel: c.Channel, timeout: c.InstallTimeout}
	if in.timeout <= 0 {
		in.timeout = inventory.DefaultInstallTimeout
	}
	if !c.Install.Offline() {
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

// step makes a bounded remote step of the installer.
func (in *installer) step(what, unit, hint string, argv ...string) step {
	return step{what: what, unit: unit, argv: argv, hint: hint, limit: in.timeout}
}

// stage makes the installer (and offline, the binary) ready on the host.
// Uploads are skipped when the host already has the same bytes.
func (in *installer) stage(ctx context.Context, n *fleet.Node) error {
	if err := in.step("stage k3s", "", "", "sh", "-c", stageSh, "stage.sh", hostpath.StageDir).run(ctx, n); err != nil {
		return err
	}
	if !in.src.Offline() {
		hint := "that " + n.Conn.Name() + " reaches " + in.src.ScriptURL
		return in.step("download the k3s installer from "+in.src.ScriptURL, "", hint,
			"sh", "-c", downloadSh, "download.sh", in.src.ScriptURL, hostpath.InstallScript).run(ctx, n)
	}
	for _, f := range []struct{ local, remote string }{
		{filepath.Join(in.src.BundleDir, "k3s"), hostpath.K3sBinary},
		{filepath.Join(in.src.BundleDir, "install.sh"), hostpath.InstallScript},
	} {
		uctx, cancel := context.WithTimeout(ctx, in.timeout)
		changed, err := n.Conn.Upload(uctx, f.local, f.remote, 0o755)
		cancel()
		if err != nil {
			return fmt.Errorf("upload %s (bound: cluster.install_timeout %s): %w", f.local, in.timeout, err) // the remote error names the host
		}
		if changed {
			n.Note("uploaded %s", f.remote)
		}
	}
	return nil
}

// install runs the installer for the role. Settings and the token live in
// config.yaml, so the environment below carries no secret. The installer
// restarts k3s only when it changed a file, and an offline binary is
// uploaded before it runs: INSTALL_K3S_FORCE_RESTART makes it restart even
// then, since it only runs when the plan wants another k3s running.
func (in *installer) install(ctx context.Context, n *fleet.Node, r role.Role, hint string) error {
	env := []string{"INSTALL_K3S_EXEC=" + string(r), "INSTALL_K3S_FORCE_RESTART=true"} // arguments of env(1): quoted once, by remote
	if in.src.Offline() {
		env = append(env, "INSTALL_K3S_SKIP_DOWNLOAD=true")
	} else {
		env = append(env, "GITHUB_URL="+in.src.DownloadURL, "INSTALL_K3S_CHANNEL_URL="+in.src.ChannelURL)
		if in.version != "" {
			env = append(env, "INSTALL_K3S_VERSION="+in.version)
		} else {
			env = append(env, "INSTALL_K3S_CHANNEL="+in.channel)
		}
	}
	argv := append(append([]string{"env"}, env...), "sh", hostpath.InstallScript)
	return in.step("install k3s ("+string(r)+")", r.Unit(), hint, argv...).run(ctx, n)
}

// ensureK3s brings k3s on one host to the plan: config.yaml, then install, or
// restart, or start, or nothing at all. join is the server URL the node joins
// ("" for the first server). It returns the version the node must report
// once Ready: the installed binary's, read on the host after the change
// ("" when nothing was started).
func (in *installer) ensureK3s(ctx context.Context, n *fleet.Node, r role.Role, config []byte, p K3sPlan, join string) (string, error) {
	in.begin(n)
	if p.WriteConfig {
		wctx, cancel := context.WithTimeout(ctx, in.timeout)
		_, err := n.Conn.WriteFile(wctx, hostpath.K3sConfig, config, 0o600)
		cancel()
		if err != nil {
			return "", fmt.Errorf("write %s on %s: %w", hostpath.K3sConfig, n.Conn.Name(), err)
		}
		n.Note("wrote %s", hostpath.K3sConfig)
	}
	svc := r.Unit()
	hint := initHint(n.Conn.Name())
	if join != "" {
		hint = joinHint(n.Conn.Name(), join)
	}
	var done string
	switch {
	case p.Install:
		if err := in.install(ctx, n, r, hint); err != nil {
			return "", err
		}
		done = "installed k3s " + string(r) + " %s (" + p.InstallReason + ")"
	case p.Restart:
		if err := in.step("restart "+svc, svc, hint, "systemctl", "restart", svc).run(ctx, n); err != nil {
			return "", err
		}
		done = "restarted " + svc + " %s (" + p.RestartReason + ")"
	case p.Start:
		if err := in.step("start "+svc, svc, hint, "systemctl", "start", svc).run(ctx, n); err != nil {
			return "", err
		}
		done = "started " + svc + " %s"
	default:
		return "", nil
	}
	v, err := in.installedVersion(ctx, n)
	if err != nil {
		return "", err
	}
	n.Note(done, v)
	return v, nil
}

// k3sVersionRE is a k3s release version, as the inventory accepts it.
var k3sVersionRE = regexp.MustCompile(`^v\d+\.\d+\.\d+(-rc\d+)?\+k3s\d+$`)

// installedVersion asks the host's k3s binary its version: the version the
// node must report once it runs it. An online install of an exact version
// must have put that version there.
func (in *installer) installedVersion(ctx context.Context, n *fleet.Node) (string, error) {
	vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := n.Conn.Run(vctx, remote.Argv(hostpath.K3sBinary, "--version"))
	if err != nil {
		return "", fmt.Errorf("read the version of %s: %w", hostpath.K3sBinary, err) // the remote error names the host
	}
	v := parseK3sVersion(string(res.Stdout))
	if v == "" {
		return "", fmt.Errorf("%s --version on %s printed no k3s version: %q", hostpath.K3sBinary, n.Conn.Name(), clip(strings.TrimSpace(string(res.Stdout)), 200))
	}
	if !in.src.Offline() && in.version != "" && v != in.version {
		return "", fmt.Errorf("the installer put k3s %s on %s, the inventory asks for %s", v, n.Conn.Name(), in.version)
	}
	return v, nil
}

// parseK3sVersion finds the version in `k3s --version` output
// ("k3s version v1.31.4+k3s1 (a1b2c3d4)"), "" when the first line has none.
func parseK3sVersion(out string) string {
	first, _, _ := strings.Cut(out, "\n")
	for _, w := range strings.Fields(first) {
		if k3sVersionRE.MatchString(w) {
			return w
		}
	}
	return ""
}

// readRootFile returns a root-only file of the host (token, kubeconfig).
func readRootFile(ctx context.Context, n *fleet.Node, path string) ([]byte, error) {
	res, err := n.Conn.Run(ctx, remote.Argv("cat", "--", path).Root())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err) // the remote error names the host
	}
	return res.Stdout, nil
}
