package fleettest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// Host is one fake host. It satisfies the engine's connection interface.
type Host struct {
	fleet *Fleet
	addr  string
	keys  []string          // fact keys in fixture order
	kv    map[string]string // facts, changed by the commands
	files map[string][]byte // root-only files: config.yaml, node-token
	boots int
	// Fail makes a command fail: the first whose script contains a key
	// exits 1 with the value on stderr.
	Fail map[string]string
	// Errs makes a command fail with an error of the test's choosing: the
	// first whose script contains a key.
	Errs map[string]error
	// Hang makes every command whose script contains it block until its
	// context ends (a k3s that never gets ready); Killed tells it ended so.
	Hang   string
	killed bool
	// Journal is what the unit's journal and state read after a timeout
	// print (journal.sh's output).
	Journal string
	// NotBack makes Reboot fail as a host that never comes back.
	NotBack bool
	// DownAfterReboot: k3s fails to start when the host boots.
	DownAfterReboot bool
	// Probe is how the reachability probe answers (ProbeRefused when zero).
	Probe Probe
	// Fsync is what doctor's fsync measurement prints (FsyncDefault when empty).
	Fsync string
	lease string // the id of the run holding the host's lock
}

// Name is the host's address, as the real client names it.
func (h *Host) Name() string { return h.addr }

// Close does nothing.
func (h *Host) Close() error { return nil }

// Fact returns one fact as the host would report it now.
func (h *Host) Fact(key string) string {
	h.fleet.mu.Lock()
	defer h.fleet.mu.Unlock()
	return h.kv[key]
}

// SetFile puts a root-only file on the host (a k3s.yaml that overrides the
// cluster's, say).
func (h *Host) SetFile(path string, data []byte) {
	h.fleet.mu.Lock()
	defer h.fleet.mu.Unlock()
	h.files[path] = data
}

// Set changes facts: key, value, key, value...
func (h *Host) Set(kv ...string) {
	h.fleet.mu.Lock()
	defer h.fleet.mu.Unlock()
	h.set(kv...)
}

func (h *Host) set(kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		if _, ok := h.kv[kv[i]]; !ok {
			h.keys = append(h.keys, kv[i])
		}
		h.kv[kv[i]] = kv[i+1]
	}
}

// facts renders the facts text the gather script prints.
func (h *Host) facts() []byte {
	var b strings.Builder
	for _, k := range h.keys {
		if k != "end" {
			fmt.Fprintf(&b, "%s=%s\n", k, h.kv[k])
		}
	}
	b.WriteString("end=ok\n")
	return []byte(b.String())
}

// Events are the events of this host alone.
func (h *Host) Events() []Event {
	var out []Event
	for _, e := range h.fleet.Events() {
		if e.Host == h.addr {
			out = append(out, e)
		}
	}
	return out
}

// Killed tells whether a hanging command saw its session end.
func (h *Host) Killed() bool {
	h.fleet.mu.Lock()
	defer h.fleet.mu.Unlock()
	return h.killed
}

// Run answers a command by the first handler that knows it.
func (h *Host) Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error) {
	if h.Hang != "" && strings.Contains(cmd.Script, h.Hang) {
		h.fleet.mu.Lock()
		h.fleet.events = append(h.fleet.events, Event{Host: h.addr, Kind: KindRun, What: "hang: " + cmd.Label, Script: cmd.Script, Changing: true})
		h.fleet.mu.Unlock()
		<-ctx.Done()
		h.fleet.mu.Lock()
		h.killed = true
		h.fleet.mu.Unlock()
		return remote.Result{}, ctx.Err()
	}
	h.fleet.mu.Lock()
	defer h.fleet.mu.Unlock()
	for key, err := range h.Errs {
		if strings.Contains(cmd.Script, key) {
			h.fleet.events = append(h.fleet.events, Event{Host: h.addr, Kind: KindRun, What: "failed: " + key, Script: cmd.Script})
			return remote.Result{}, err
		}
	}
	for key, msg := range h.Fail {
		if strings.Contains(cmd.Script, key) {
			h.fleet.events = append(h.fleet.events, Event{Host: h.addr, Kind: KindRun, What: "failed: " + key})
			return remote.Result{ExitCode: 1}, &remote.ExitError{Host: h.addr, Command: cmd.Label, ExitCode: 1, Stderr: msg}
		}
	}
	for _, hd := range handlers {
		if hd.match(cmd.Script) {
			out, what, changing, err := hd.run(h, cmd)
			h.fleet.events = append(h.fleet.events, Event{Host: h.addr, Kind: KindRun, What: what, Script: cmd.Script, Changing: changing})
			return remote.Result{Stdout: []byte(out)}, err
		}
	}
	h.fleet.events = append(h.fleet.events, Event{Host: h.addr, Kind: KindRun, What: "unknown: " + firstLine(cmd.Script), Changing: true})
	return remote.Result{ExitCode: 127}, fmt.Errorf("%s: fake fleet: unknown command %q", h.addr, cmd.Script)
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// WriteFile stores a root-only file; config.yaml's hash becomes a fact.
func (h *Host) WriteFile(_ context.Context, path string, data []byte, _ fs.FileMode) (bool, error) {
	h.fleet.mu.Lock()
	defer h.fleet.mu.Unlock()
	changed := string(h.files[path]) != string(data)
	h.files[path] = append([]byte(nil), data...)
	if path == configPath {
		h.set("config_present", "1", "config_hash", sum(data))
	}
	h.fleet.events = append(h.fleet.events, Event{Host: h.addr, Kind: KindWrite, What: "write " + path, Changing: changed})
	return changed, nil
}

var versionRE = regexp.MustCompile(`v\d+\.\d+\.\d+(-rc\d+)?\+k3s\d+`)

// Upload reads the local file; a k3s binary of an offline bundle carries its
// version in its text, and replacing it under a running k3s makes it stale.
func (h *Host) Upload(_ context.Context, local, path string, _ fs.FileMode) (bool, error) {
	data, err := os.ReadFile(local)
	if err != nil {
		return false, err
	}
	h.fleet.mu.Lock()
	defer h.fleet.mu.Unlock()
	changed := h.files[path] == nil || string(h.files[path]) != string(data)
	h.files[path] = data
	if path == k3sBinary && changed {
		h.set("k3s_bin_hash", sum(data), "k3s_version", versionRE.FindString(string(data)))
		if h.kv["service_active"] == "1" {
			h.set("k3s_stale", "1")
		}
	}
	h.fleet.events = append(h.fleet.events, Event{Host: h.addr, Kind: KindUpload, What: "upload " + path, Changing: changed})
	return changed, nil
}

// Reboot boots the kernel with the command line of cmdline.txt; the memory
// cgroup is on when it carries cgroup_enable=memory.
func (h *Host) Reboot(_ context.Context, timeout time.Duration) error {
	h.fleet.mu.Lock()
	defer h.fleet.mu.Unlock()
	h.fleet.events = append(h.fleet.events, Event{Host: h.addr, Kind: KindReboot, What: "reboot", Changing: true})
	if h.NotBack {
		return &remote.NotBackError{Host: h.addr, Timeout: timeout, Stage: remote.StageDown, Last: "no SSH connection"}
	}
	h.boots++
	cl, _ := hex.DecodeString(h.kv["cmdline_hex"])
	mem := "0"
	if strings.Contains(string(cl), "cgroup_enable=memory") {
		mem = "1"
	}
	h.set("proc_cmdline_hex", h.kv["cmdline_hex"], "memory_cgroup", mem, "kernel_boot_id", fmt.Sprintf("boot-%d", h.boots), "k3s_stale", "0")
	if h.kv["k3s_role"] != "" && h.DownAfterReboot {
		h.set("service_active", "0")
	} else if h.kv["k3s_role"] != "" { // the unit is enabled: k3s comes back with the host
		h.set("service_active", "1")
		h.fleet.register(h)
	}
	return nil
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
