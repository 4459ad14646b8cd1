package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

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

// TestStepTimeout: an installer that never returns (an agent whose server
// rejects it) is stopped at cluster.install_timeout; the error names the
// host once, the step, the unit's last log line and what to check, and the
// session of the blocked command is ended.
func TestStepTimeout(t *testing.T) {
	const limit = 300 * time.Millisecond
	in := offlineBundle(t, "v1.31.4+k3s1", limit)
	h := fleettest.New(t).Add("pi-03", fleettest.Fixture(t, "pi4-bookworm-arm64.txt"))
	h.Hang = "INSTALL_K3S_EXEC"
	h.Journal = `time="2026-11-30T12:00:00Z" level=info msg="Waiting to retrieve agent configuration; server is not ready: Node password rejected, duplicate hostname"` +
		"\nk3sup-pi-state=activating\n"
	n := &fleet.Node{Host: inventory.Host{Address: "pi-03", Role: role.Agent}, Conn: h}
	start := time.Now()
	_, err := in.ensureK3s(context.Background(), n, role.Agent, nil, K3sPlan{Install: true, InstallReason: "k3s not installed"}, "https://10.0.0.1:6443")
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
	if !h.Killed() {
		t.Error("the blocked command's session was not ended")
	}
	if install := h.Events()[0].Script; !strings.Contains(install, `exec timeout -k 5 "$limit" "$@"`) || !strings.HasPrefix(install, "set -- 1 ") {
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
			h := fleettest.New(t).Add("pi-04", fleettest.Fixture(t, "pi4-bookworm-arm64.txt"))
			h.Errs = map[string]error{"INSTALL_K3S_EXEC": tt.err}
			n := &fleet.Node{Host: inventory.Host{Address: "pi-04", Role: role.Server}, Conn: h}
			_, err := in.ensureK3s(context.Background(), n, role.Server, nil, K3sPlan{Install: true}, "")
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
