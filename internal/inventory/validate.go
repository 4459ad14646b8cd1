package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// validator runs the semantic checks on a defaulted inventory. Checks of a
// single value run only for values that were given (defaults are valid), and
// never for values that already failed to decode.
type validator struct {
	inv *Inventory
	ps  *problems
}

func validate(inv *Inventory, ps *problems) {
	v := &validator{inv: inv, ps: ps}
	v.cluster()
	v.install()
	v.ssh()
	v.hosts()
	v.topology()
	v.files()
}

// check reports msg at path's position when path was given and msg is not "".
func (v *validator) check(path, msg string) {
	if msg != "" && v.inv.given(path) {
		v.ps.add(v.inv.pos[path], path, "%s", msg)
	}
}

// report reports msg at path's position, or at no position when path was not given.
func (v *validator) report(path, format string, args ...any) {
	p := v.inv.pos[path]
	if p.origin == badOrigin {
		p = pos{line: p.line, col: p.col}
	}
	v.ps.add(p, path, format, args...)
}

func (v *validator) cluster() {
	c := v.inv.Cluster
	if !clusterNameRE.MatchString(c.Name) {
		v.check("cluster.name", fmt.Sprintf("%q is not a cluster name; use letters, digits, '.', '_' or '-' (it names the kubeconfig context)", c.Name))
	}
	v.version(c)
	v.secrets(c)
	if c.APIEndpoint != "" {
		v.check("cluster.api_endpoint", checkEndpoint(c.APIEndpoint))
	}
	if c.Kubeconfig == "" {
		v.check("cluster.kubeconfig", "is empty; give the file to write the kubeconfig to")
	}
	v.atLeastOne("cluster.batch_size", c.BatchSize, "agents joined per batch")
	if _, err := ParseMaxFailures(c.MaxFailures); err != nil {
		v.check("cluster.max_failures", err.Error())
	}
	v.atLeastOne("cluster.concurrency", c.Concurrency, "parallel SSH connections")
	v.positive("cluster.reboot_timeout", c.RebootTimeout)
	v.positive("cluster.ready_timeout", c.ReadyTimeout)
	v.positive("cluster.install_timeout", c.InstallTimeout)
}

// version checks k3s_version and channel: each well formed, not both.
func (v *validator) version(c Cluster) {
	if c.K3sVersion != "" {
		v.check("cluster.k3s_version", checkVersion(c.K3sVersion))
		if c.Channel != "" {
			v.report("cluster.channel", "set together with k3s_version; keep one (an exact version, or a channel like stable)")
		}
	}
	if c.Channel != "" && !channelRE.MatchString(c.Channel) {
		v.check("cluster.channel", fmt.Sprintf("%q is not a channel; use stable, latest, testing or a minor line like v1.31", c.Channel))
	}
}

// secrets checks token, token_file and datastore_endpoint without ever
// quoting their values.
func (v *validator) secrets(c Cluster) {
	if v.inv.given("cluster.token") {
		v.check("cluster.token", checkSecret(c.Token, "remove token: and the first server generates one"))
	}
	if c.Token != "" && c.TokenFile != "" {
		v.report("cluster.token_file", "set together with token; keep one of token and token_file")
	} else if c.TokenFile != "" && v.inv.given("cluster.token_file") {
		if _, err := v.inv.TokenValue(); err != nil {
			v.report("cluster.token_file", "%v", err)
		}
	}
	if c.DatastoreEndpoint != "" {
		v.check("cluster.datastore_endpoint", checkDatastore(c.DatastoreEndpoint))
	}
}

func (v *validator) atLeastOne(path string, n int, what string) {
	if n < 1 {
		v.check(path, fmt.Sprintf("is %d; it counts %s and must be 1 or more", n, what))
	}
}

func (v *validator) positive(path string, d time.Duration) {
	if d <= 0 {
		v.check(path, fmt.Sprintf("is %s; give a positive duration like \"10m\"", d))
	}
}

func (v *validator) install() {
	in := v.inv.Cluster.Install
	switch in.Source {
	case SourceOnline:
		v.check("cluster.install.script_url", checkURL(in.ScriptURL))
		v.check("cluster.install.download_url", checkURL(in.DownloadURL))
		v.check("cluster.install.channel_url", checkURL(in.ChannelURL))
	case SourceOffline:
		v.bundle(in.BundleDir)
	default:
		v.check("cluster.install.source", fmt.Sprintf("%q is not an install source; use \"online\" (hosts download k3s) or \"offline\" (upload bundle_dir)", in.Source))
	}
}

// bundle checks the offline bundle directory holds k3s and install.sh.
func (v *validator) bundle(dir string) {
	const path = "cluster.install.bundle_dir"
	if dir == "" {
		v.report("cluster.install.source", "is offline but cluster.install.bundle_dir is not set; point it at a directory holding k3s and install.sh")
		return
	}
	var missing []string
	for _, f := range []string{"k3s", "install.sh"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.IsDir() {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		v.report(path, "%s lacks %s; an offline bundle holds the k3s binary and install.sh", dir, strings.Join(missing, " and "))
	}
}

func (v *validator) ssh() {
	s := v.inv.SSH
	v.check("ssh.user", checkUser(s.User))
	v.port("ssh.port", s.Port)
	if s.ProxyJump != "" {
		v.check("ssh.proxy_jump", checkProxyJump(s.ProxyJump))
	}
	if !envNameRE.MatchString(s.SudoPasswordEnv) {
		v.check("ssh.sudo_password_env", "is not an environment variable name ("+withheld+": it may be a password); "+
			"this key takes the NAME of a variable, like K3SUP_PI_SUDO_PASSWORD, whose value is the password")
	}
}

func (v *validator) port(path string, p int) {
	if p < 1 || p > 65535 {
		v.check(path, fmt.Sprintf("%d is out of range; a port is 1 to 65535", p))
	}
}
