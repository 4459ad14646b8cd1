package steps

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// k3sHost is a fake host with k3s on it. Like k3s's install.sh it restarts
// the service only when a file it installs changed or when
// INSTALL_K3S_FORCE_RESTART=true; with INSTALL_K3S_SKIP_DOWNLOAD it installs
// no binary, so an uploaded binary is never a change it sees.
type k3sHost struct {
	mu       sync.Mutex
	name     string
	disk     string // version of /usr/local/bin/k3s
	running  string // version the service runs
	restarts int
	block    bool  // installer and systemctl never return (a k3s that cannot join)
	fail     error // installer and systemctl fail with this
	killed   bool  // a blocked command saw its session end
	scripts  []string
}

func (h *k3sHost) Name() string { return h.name }

func (h *k3sHost) Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error) {
	h.mu.Lock()
	h.scripts = append(h.scripts, cmd.Script)
	block := h.block
	h.mu.Unlock()
	s := cmd.Script
	switch {
	case s == hostpath.K3sBinary+" --version" || s == remote.Argv(hostpath.K3sBinary, "--version").Script:
		return remote.Result{Stdout: []byte("k3s version " + h.disk + " (a1b2c3d4)\ngo version go1.23.4\n")}, nil
	case strings.Contains(s, "journalctl"):
		return remote.Result{Stdout: []byte(`time="2026-11-30T12:00:00Z" level=info msg="Waiting to retrieve agent configuration; server is not ready: Node password rejected, duplicate hostname"` +
			"\nk3sup-pi-state=activating\n")}, nil
	case strings.Contains(s, "install.sh") || strings.Contains(s, "systemctl"):
		if h.fail != nil {
			return remote.Result{}, h.fail
		}
		if block {
			<-ctx.Done()
			h.mu.Lock()
			h.killed = true
			h.mu.Unlock()
			return remote.Result{}, ctx.Err()
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if strings.Contains(s, "INSTALL_K3S_FORCE_RESTART=true") || strings.Contains(s, "systemctl restart") || strings.Contains(s, "systemctl start") {
			h.restarts++
			h.running = h.disk
		}
	}
	return remote.Result{}, nil
}

func (h *k3sHost) Upload(_ context.Context, local, remotePath string, _ fs.FileMode) (bool, error) {
	if remotePath == hostpath.K3sBinary {
		b, err := os.ReadFile(local)
		if err != nil {
			return false, err
		}
		h.mu.Lock()
		h.disk = strings.TrimSpace(string(b))
		h.mu.Unlock()
	}
	return true, nil
}

func (h *k3sHost) WriteFile(context.Context, string, []byte, fs.FileMode) (bool, error) {
	return true, nil
}
func (h *k3sHost) Reboot(context.Context, time.Duration) error { return nil }
func (h *k3sHost) Close() error                                { return nil }

// offlineBundle writes a bundle whose "k3s" holds just its version.
func offlineBundle(t *testing.T, version string, timeout time.Duration) *installer {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{"k3s": version + "\n", "install.sh": "#!/bin/sh\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	in, err := newInstaller(inventory.Cluster{InstallTimeout: timeout, Install: inventory.Install{Source: "offline", BundleDir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TestOfflineUpgradeRestarts: a node running v1 gets a bundle with v2. Both
// ways to that state end with the service restarted on v2 and the version the
// node must report being v2: the upload-then-install path (the installer sees
// no change of its own) and a binary replaced earlier without a restart.
func TestOfflineUpgradeRestarts(t *testing.T) {
	const v1, v2 = "v1.31.4+k3s1", "v1.31.5+k3s1"
	tests := []struct {
		name      string
		disk      string // version on disk before the run
		diskHash  func(in *installer) string
		wantNote  string
		wantStage bool
	}{
		{"bundle upgrade", v1, func(*installer) string { return "old-hash" }, "installed k3s agent " + v2 + " (k3s binary differs from the bundle)", true},
		{"binary replaced, old process runs", v2, func(in *installer) string { return in.bundleHash }, "restarted k3s-agent " + v2 + " (the node runs k3s " + v1 + ", " + v2 + " is installed)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := offlineBundle(t, v2, time.Minute)
			h := &k3sHost{name: "pi-02", disk: tt.disk, running: v1}
			n := &fleet.Node{Host: inventory.Host{Address: "pi-02", Role: "agent"}, Conn: h,
				Facts: facts.Facts{K3sVersion: tt.disk, K3sRole: "agent", ServiceActive: true, ConfigHash: "c", K3sBinHash: tt.diskHash(in)}}
			p, err := PlanK3s(n.Facts, K3sWant{Role: "agent", BinaryHash: in.bundleHash, ConfigHash: "c", NodeVersion: v1})
			if err != nil {
				t.Fatal(err)
			}
			if p.Install != tt.wantStage {
				t.Fatalf("plan %+v, want Install=%v", p, tt.wantStage)
			}
			if p.Install {
				if err := in.stage(context.Background(), n); err != nil {
					t.Fatal(err)
				}
			}
			v, err := in.ensureK3s(context.Background(), n, "agent", nil, p, "https://10.0.0.1:6443")
			if err != nil {
				t.Fatal(err)
			}
			if h.restarts != 1 || h.running != v2 || v != v2 {
				t.Errorf("restarts %d, running %s, must report %q; want 1 restart onto %s", h.restarts, h.running, v, v2)
			}
			if got := strings.Join(n.Changes, "; "); !strings.Contains(got, tt.wantNote) {
				t.Errorf("changes %q, want %q", got, tt.wantNote)
			}
		})
	}
}

// TestStepTimeout: an installer that never returns (an agent whose server
// rejects it) is stopped at cluster.install_timeout; the error names the
// host once, the step, the unit's last log line and what to check, and the
// session of the blocked command is ended.
func TestStepTimeout(t *testing.T) {
	const limit = 300 * time.Millisecond
	in := offlineBundle(t, "v1.31.4+k3s1", limit)
	h := &k3sHost{name: "pi-03", block: true}
	n := &fleet.Node{Host: inventory.Host{Address: "pi-03", Role: "agent"}, Conn: h}
	start := time.Now()
	_, err := in.ensureK3s(context.Background(), n, "agent", nil, K3sPlan{Install: true, InstallReason: "k3s not installed"}, "https://10.0.0.1:6443")
	took := time.Since(start)
	if err == nil {
		t.Fatal("ensureK3s returned no error for a step that never ends")
	}
	if took < limit || took > limit+grace(limit)+2*time.Second {
		t.Errorf("returned after %s, want about %s", took, limit)
	}
	msg := err.Error()
	for _, want := range []string{
		"install k3s (agent) on pi-03 did not finish within 300ms (cluster.install_timeout)",
		"k3s-agent is activating",
		"last lines of `journalctl -u k3s-agent`:\n    time=",
		"Node password rejected",
		"check: that pi-03 reaches the server at https://10.0.0.1:6443",
		"node-token",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if c := strings.Count(msg, "pi-03"); c != 2 { // once as the host, once in "check: that pi-03 reaches"
		t.Errorf("host named %d times, want the host once and the check once:\n%s", c, msg)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(err, DeadlineExceeded) = false for %v", err)
	}
	if !h.killed {
		t.Error("the blocked command's session was not ended")
	}
	if install := h.scripts[0]; !strings.Contains(install, `exec timeout -k 5 "$limit" "$@"`) || !strings.HasPrefix(install, "set -- 1 ") {
		t.Errorf("the installer is not bounded on the host:\n%s", install)
	}
}

// TestStepErrors: a step that fails is reported with the remote error (which
// names the host) and is no timeout; exit 124 is the host's own timeout(1)
// firing first, and is one.
func TestStepErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		timeout bool
		want    string
	}{
		{"installer fails", &remote.ExitError{Host: "pi-04", ExitCode: 1, Stderr: "[ERROR]  Download failed"}, false,
			"install k3s (server): pi-04: command exited with status 1: [ERROR]  Download failed"},
		{"host's timeout(1) fired", &remote.ExitError{Host: "pi-04", ExitCode: 124}, true,
			"install k3s (server) on pi-04 did not finish within 1m0s (cluster.install_timeout)"},
		{"killed by a signal before the limit", &remote.ExitError{Host: "pi-04", ExitCode: 143}, false,
			"install k3s (server): pi-04: command exited with status 143"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := offlineBundle(t, "v1.31.4+k3s1", time.Minute)
			h := &k3sHost{name: "pi-04", fail: tt.err}
			n := &fleet.Node{Host: inventory.Host{Address: "pi-04", Role: "server"}, Conn: h}
			_, err := in.ensureK3s(context.Background(), n, "server", nil, K3sPlan{Install: true}, "")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to start with %q", err, tt.want)
			}
			if strings.Count(err.Error(), "pi-04") != 1+boolInt(tt.timeout) { // a timeout names it again in its check
				t.Errorf("host not named once: %v", err)
			}
			if errors.Is(err, context.DeadlineExceeded) != tt.timeout {
				t.Errorf("errors.Is(DeadlineExceeded) = %v, want %v", !tt.timeout, tt.timeout)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
