package fleettest

import (
	"regexp"
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
// would have, its node Ready in the cluster; no command is recorded.
func (h *Host) Running(role, version string) {
	h.fleet.mu.Lock()
	defer h.fleet.mu.Unlock()
	h.set("k3s_role", role, "k3s_version", version, "k3s_bin_hash", sum([]byte(version)), "service_active", "1", "k3s_stale", "0")
	h.files[k3sBinary] = []byte(version)
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

var (
	probeForRE = regexp.MustCompile(`(?m)^for p in (.*); do$`)
	runRE      = regexp.MustCompile(`(?m)^run (\S+)$`)
	rmRE       = regexp.MustCompile(`(?m)^rm -rf (.*)$`)
)

// resetProbe answers reset's probe from the paths the host holds.
func resetProbe(h *Host, cmd remote.Cmd) (string, string, bool, error) {
	var b strings.Builder
	if m := probeForRE.FindStringSubmatch(cmd.Script); m != nil {
		for _, p := range splitWords(m[1]) {
			if h.exists(p) {
				b.WriteString("path=" + p + "\n")
			}
		}
	}
	for _, d := range []string{"/etc/rancher", "/var/lib/rancher"} {
		if kids := h.children(d); h.exists(d) {
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
	for _, m := range runRE.FindAllStringSubmatch(cmd.Script, -1) {
		what = "uninstall"
		for _, p := range append(installed[h.kv["k3s_role"]], m[1], k3sBinary, configPath, "/var/lib/rancher/k3s") {
			if p != "/etc/rancher/node" {
				h.remove(p)
			}
		}
		h.set("k3s_role", "", "k3s_version", "", "k3s_bin_hash", "", "service_active", "0", "k3s_stale", "0",
			"config_present", "0", "config_hash", "")
	}
	if m := rmRE.FindStringSubmatch(cmd.Script); m != nil {
		for _, p := range splitWords(m[1]) {
			h.remove(p)
		}
	}
	return "", what, true, nil
}

// removeBackup is restoreCmdline's `rm -f` of the backup and the record.
func removeBackup(h *Host, _ remote.Cmd) (string, string, bool, error) {
	h.set("cmdline_bak", "0", "cmdline_bak_hex", "", "cmdline_record_path", "", "cmdline_record_sha256", "", "cmdline_record_added", "")
	return "", "remove cmdline backup", true, nil
}
