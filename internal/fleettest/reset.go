package fleettest

import (
	"slices"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// Paths an install leaves beside config.yaml and the binary.
var installed = map[string][]string{
	"server": {"/usr/local/bin/k3s-uninstall.sh", "/etc/rancher/k3s", "/etc/rancher/node", "/var/lib/rancher/k3s"},
	"agent":  {"/usr/local/bin/k3s-agent-uninstall.sh", "/etc/rancher/k3s", "/etc/rancher/node", "/var/lib/rancher/k3s"},
}

// Running puts k3s of role and version on the host as an earlier install
// would have (a config.yaml that joins the cluster's first server s1), its
// node Ready in the cluster; no command is recorded.
func (h *Host) Running(role, version string) {
	h.fleet.mu.Lock()
	defer h.fleet.mu.Unlock()
	h.set("k3s_role", role, "k3s_version", version, "k3s_bin_hash", sum([]byte(version)), "service_active", "1", "k3s_stale", "0")
	h.files[k3sBinary] = []byte(version)
	if h.fleet.secret == "" {
		h.fleet.secret = "fleettest-secret"
	}
	cfg := "token: K10" + sum([]byte(h.fleet.secret))[:16] + "::server:" + h.fleet.secret + "\nserver: https://s1:6443\n"
	if role == "server" {
		h.files[nodeTokenPath] = []byte("K10" + sum([]byte(h.fleet.secret))[:16] + "::server:" + h.fleet.secret + "\n")
	}
	h.files[configPath] = []byte(cfg)
	h.set("config_present", "1", "config_hash", sum([]byte(cfg)))
	h.installed(role)
	h.fleet.register(h)
}

// installed marks the paths an install of role leaves.
func (h *Host) installed(role string) {
	for _, p := range installed[role] {
		if _, ok := h.files[p]; !ok {
			h.files[p] = nil
		}
	}
}

// resetProbe answers reset's probe from the paths the host holds.
func resetProbe(h *Host, cmd remote.Cmd) (string, string, bool, error) {
	var b strings.Builder
	for _, a := range args(cmd) {
		if p, ok := strings.CutPrefix(a, "path="); ok && h.exists(p) {
			b.WriteString("path=" + p + "\n")
		}
		d, ok := strings.CutPrefix(a, "dir=")
		if kids := h.children(d); ok && h.exists(d) {
			b.WriteString("dir=" + d + "\n")
			for _, k := range kids {
				b.WriteString("entry=" + k + "\n")
			}
		}
	}
	return b.String(), "reset probe", false, nil
}

// exists tells whether the host holds p, or anything below it.
func (h *Host) exists(p string) bool {
	for k := range h.files {
		if k == p || strings.HasPrefix(k, p+"/") {
			return true
		}
	}
	return false
}

// children lists the entries directly below d.
func (h *Host) children(d string) []string {
	var out []string
	for k := range h.files {
		if rest, ok := strings.CutPrefix(k, d+"/"); ok {
			c := d + "/" + strings.Split(rest, "/")[0]
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

// remove deletes p and everything below it.
func (h *Host) remove(p string) {
	for k := range h.files {
		if k == p || strings.HasPrefix(k, p+"/") {
			delete(h.files, k)
		}
	}
}

// resetCleanup runs reset's cleanup: the uninstall scripts take k3s away
// (its node stays in the cluster until deleted), then the leftovers go.
func resetCleanup(h *Host, cmd remote.Cmd) (string, string, bool, error) {
	what := "cleanup"
	for _, a := range args(cmd) {
		script, ok := strings.CutPrefix(a, "run=")
		if !ok {
			if p, ok := strings.CutPrefix(a, "rm="); ok {
				h.remove(p)
			}
			continue
		}
		what = "uninstall"
		for _, p := range append(installed[h.kv["k3s_role"]], script, k3sBinary, configPath, "/var/lib/rancher/k3s") {
			if p != "/etc/rancher/node" {
				h.remove(p)
			}
		}
		h.set("k3s_role", "", "k3s_version", "", "k3s_bin_hash", "", "service_active", "0", "k3s_stale", "0",
			"config_present", "0", "config_hash", "")
	}
	return "", what, true, nil
}

// removeBackup is restoreCmdline's `rm -f` of the backup and the record.
func removeBackup(h *Host, _ remote.Cmd) (string, string, bool, error) {
	h.set("cmdline_bak", "0", "cmdline_bak_hex", "", "cmdline_record_path", "", "cmdline_record_sha256", "", "cmdline_record_added", "")
	return "", "remove cmdline backup", true, nil
}
