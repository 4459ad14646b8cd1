package fleettest

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// Paths the fake knows (the engine's, written out: a fake host does not
// import the engine).
const (
	configPath    = "/etc/rancher/k3s/config.yaml"
	k3sYAMLPath   = "/etc/rancher/k3s/k3s.yaml"
	nodeTokenPath = "/var/lib/rancher/k3s/server/node-token"
	installScript = "/var/lib/k3sup-pi/install.sh"
	k3sBinary     = "/usr/local/bin/k3s"
)

// ChannelVersion is what an online install without an exact version installs.
const ChannelVersion = "v1.31.4+k3s1"

// handler answers one kind of command, with the fleet locked. It returns
// stdout, words for the event, whether it changed anything, and an error.
type handler struct {
	match func(script string) bool
	run   func(h *Host, cmd remote.Cmd) (string, string, bool, error)
}

func has(sub string) func(string) bool {
	return func(s string) bool { return strings.Contains(s, sub) }
}

func prefix(p string) func(string) bool {
	return func(s string) bool { return strings.HasPrefix(s, p) }
}

// handlers in the order they are tried: the bounded steps before the
// read-only commands, as their scripts may quote anything.
var handlers = []handler{
	{has("k3sup_pi_facts"), func(h *Host, _ remote.Cmd) (string, string, bool, error) {
		return string(h.facts()), "gather facts", false, nil
	}},
	{has("k3sup-pi reachability probe"), probeAnswer},
	{has("k3sup-pi verified write"), verifiedWrite},
	{has("hostnamectl set-hostname"), setHostname},
	{has("k3sup-pi reset probe"), resetProbe},
	{has("k3sup-pi doctor"), fsyncTest},
	{has("k3sup-pi-lock 1"), runLock},
	{has("k3sup-pi reset cleanup"), resetCleanup},
	{prefix("rm -f -- "), removeBackup},
	{has("modinfo vxlan"), func(*Host, remote.Cmd) (string, string, bool, error) { return "", "vxlan check", false, nil }},
	{has("INSTALL_K3S_EXEC="), install},
	{has("mkdir -p /etc/rancher/k3s"), func(h *Host, _ remote.Cmd) (string, string, bool, error) {
		h.files["/var/lib/k3sup-pi"] = nil
		return "", "stage dir", true, nil
	}},
	{has("curl -sfL"), func(h *Host, _ remote.Cmd) (string, string, bool, error) {
		h.files[installScript] = []byte("#!/bin/sh\n")
		return "", "download installer", true, nil
	}},
	{has("systemctl restart"), func(h *Host, cmd remote.Cmd) (string, string, bool, error) { return h.service(cmd, "restart") }},
	{has("systemctl start"), func(h *Host, cmd remote.Cmd) (string, string, bool, error) { return h.service(cmd, "start") }},
	{prefix("systemctl is-active"), func(h *Host, _ remote.Cmd) (string, string, bool, error) {
		if h.kv["service_active"] == "1" {
			return "active\n", "is-active", false, nil
		}
		if h.DownAfterReboot {
			return "failed\n", "is-active", false, nil
		}
		return "inactive\n", "is-active", false, nil
	}},
	{has("journalctl"), func(h *Host, _ remote.Cmd) (string, string, bool, error) { return h.Journal, "journal", false, nil }},
	{prefix(k3sBinary + " --version"), func(h *Host, _ remote.Cmd) (string, string, bool, error) {
		return "k3s version " + h.kv["k3s_version"] + " (0123abcd)\ngo version go1.23\n", "k3s --version", false, nil
	}},
	{has("if [ -e"), readNodeToken},
	{prefix("cat -- "), func(h *Host, cmd remote.Cmd) (string, string, bool, error) {
		path := strings.TrimPrefix(cmd.Script, "cat -- ")
		if _, planted := h.files[path]; path == k3sYAMLPath && !planted && h.kv["k3s_role"] == "server" {
			return string(h.fleet.k3sYAML), "read " + k3sYAMLPath, false, nil
		}
		return h.cat(path)
	}},
	{prefix("k3s kubectl "), func(h *Host, cmd remote.Cmd) (string, string, bool, error) {
		return h.fleet.kubectl(h, splitWords(strings.TrimPrefix(cmd.Script, "k3s kubectl ")))
	}},
}

// cat reads a root-only file the host holds.
func (h *Host) cat(path string) (string, string, bool, error) {
	b, ok := h.files[path]
	if !ok {
		return "", "read " + path, false, &remote.ExitError{Host: h.addr, ExitCode: 1, Stderr: "cat: " + path + ": No such file or directory"}
	}
	return string(b), "read " + path, false, nil
}

func readNodeToken(h *Host, cmd remote.Cmd) (string, string, bool, error) {
	if _, ok := h.files[nodeTokenPath]; !ok && strings.Contains(cmd.Script, "if [ -e") {
		return "", "read node-token", false, nil
	}
	return h.cat(nodeTokenPath)
}

// args are the arguments a remote.Script passes with its first line, `set -- ARGS`.
func args(cmd remote.Cmd) []string {
	return splitWords(strings.TrimPrefix(firstLine(cmd.Script), "set -- "))
}

func setHostname(h *Host, cmd remote.Cmd) (string, string, bool, error) {
	a := args(cmd)
	if len(a) == 0 || a[0] == "" {
		return "", "set hostname", true, fmt.Errorf("%s: no name for the hostname script", h.addr)
	}
	h.set("hostname", a[0])
	return "", "set hostname " + a[0], true, nil
}

// verifiedWrite applies write.sh to cmdline.txt (the one file the engine
// writes with it): expect, backup and record as the script does them.
func verifiedWrite(h *Host, cmd remote.Cmd) (string, string, bool, error) {
	kv := map[string][]string{}
	for _, w := range args(cmd) {
		k, v, _ := strings.Cut(w, "=")
		kv[k] = append(kv[k], v)
	}
	path := first(kv["path"])
	what := "write " + path
	if path != h.kv["cmdline_path"] {
		return "", what, true, fmt.Errorf("%s: fake fleet: verified write of %s, not cmdline.txt", h.addr, path)
	}
	old, _ := hex.DecodeString(h.kv["cmdline_hex"])
	if e := first(kv["expect"]); e != "" && e != sum(old) {
		return "", what, false, &remote.ExitError{Host: h.addr, ExitCode: 3, Stderr: path + " changed meanwhile"}
	}
	if first(kv["backup"]) != "" {
		h.set("cmdline_bak", "1", "cmdline_bak_hex", hex.EncodeToString(old))
	}
	if rec := first(kv["record_text"]); rec != "" {
		kv := map[string]string{}
		for _, l := range strings.Split(rec, "\n") {
			k, v, _ := strings.Cut(l, "=")
			kv[k] = v
		}
		h.set("cmdline_record_path", kv["path"], "cmdline_record_sha256", kv["sha256"], "cmdline_record_added", kv["added"])
	}
	for _, r := range kv["remove"] {
		if strings.HasSuffix(r, ".record") {
			h.set("cmdline_record_path", "", "cmdline_record_sha256", "", "cmdline_record_added", "")
		} else {
			h.set("cmdline_bak", "0", "cmdline_bak_hex", "")
		}
	}
	h.set("cmdline_hex", hex.EncodeToString(cmd.Stdin))
	return "changed\n", what, true, nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// splitWords undoes remote.ShellQuote on a line of words.
func splitWords(s string) []string {
	var out []string
	var cur strings.Builder
	in, word := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			in, word = !in, true
		case c == ' ' && !in:
			if word {
				out = append(out, cur.String())
				cur.Reset()
				word = false
			}
		case c == '\\' && !in && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			word = true
		default:
			cur.WriteByte(c)
			word = true
		}
	}
	if word {
		out = append(out, cur.String())
	}
	return out
}
