//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
)

// installCutTimeout is TestFaultInstallCut's cluster.install_timeout.
const installCutTimeout = 20 * time.Second

// installCutHalf are the half-written files a cut install must not leave:
// temp files of the verified writes beside config.yaml, the binary and the
// tool's state, and staging copies (leftovers, shared with TestFaults).
const installCutHalf = "ls -d /etc/rancher/k3s/.k3sup-pi.* /boot/firmware/.*.k3sup-pi.* /boot/firmware/.k3sup-pi.* 2>/dev/null || true; " + leftovers

// installerPaused is a unit that holds the agent's k3s installer (install.sh,
// run as `sh /var/lib/k3sup-pi/install.sh`, not the upload's checks of it) with SIGSTOP once it starts, so the test
// unplugs the network while it surely runs; the pids go to
// /run/fault-installer. A unit, not a background shell: up reboots the agent
// for the cgroup flags before its install. The [/] keeps pgrep from matching
// the unit's own command line.
const installerPaused = `cat > /etc/systemd/system/fault-pause-installer.service <<'EOF'
[Unit]
Description=e2e: pause the k3s installer when it starts
[Service]
Type=simple
ExecStart=/bin/sh -c 'while ! p=$$(pgrep -f "^sh [/]var/lib/k3sup-pi/install.sh"); do sleep 0.01; done; kill -STOP $$p && echo $$p > /run/fault-installer'
[Install]
WantedBy=multi-user.target
EOF
systemctl enable --now --quiet fault-pause-installer`

// TestFaultInstallCut is issue 12's scenario 5 for an install: the agent's
// network is unplugged while its k3s installer runs. The run must stop at
// install_timeout naming the agent, leave no half-written file, and the next
// run, once the network is back, must converge.
func TestFaultInstallCut(t *testing.T) {
	t0 := time.Now()
	f := startFleet(t, "q1", 2, false)
	srv, ag := f.Hosts[0], f.Hosts[1]
	bundle := filepath.Join(t.TempDir(), "bundle")
	makeBundle(t, bundle, v1)
	cluster := fmt.Sprintf("install:\n  source: offline\n  bundle_dir: %s\ninstall_timeout: %s\nready_timeout: 60s\n", bundle, installCutTimeout)
	inv := writeFile(t, "inventory.yml", inventory(f, cluster, specs(f.Hosts, []string{"q-srv", "q-a1"})))
	kc := filepath.Join(filepath.Dir(inv), "kubeconfig")

	hostExec(t, f, ag, installerPaused)
	run := toolAsync("up", "-i", inv)
	pids := awaitHost(t, f, ag, 4*time.Minute, "cat /run/fault-installer 2>/dev/null || true",
		func(out string) bool { return out != "" }, "the agent's k3s installer to start")
	if got := hostExec(t, f, srv, "systemctl is-active k3s"); got != "active" {
		t.Errorf("the server's k3s is %q when the agent's install starts, want active", got)
	}
	hostAction(t, ag, f.Disconnect)
	cut := time.Now()
	hostExec(t, f, ag, "kill -CONT "+strings.Join(strings.Fields(pids), " ")+"; systemctl disable --quiet fault-pause-installer")
	r := <-run
	sinceCut := time.Since(cut)
	t.Logf("up with the install cut: exit %d in %s, %s after the cut; stderr:\n%s", r.code, r.took.Round(100*time.Millisecond), sinceCut.Round(100*time.Millisecond), r.stderr)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.stderr)
	}
	wantStderr(t, r, "the cut install",
		fmt.Sprintf("install k3s (agent) on %s did not finish within %s (cluster.install_timeout) and was stopped", ag.Addr, installCutTimeout),
		"could not read the journal: "+ag.Addr+": connect "+ag.Addr+":22",
		"fix the failed agents, then run `up` again")
	if !regexp.MustCompile(`(?m)^q-a1 +agent +q-a1 +.*FAILED \(see the error below\)$`).MatchString(r.stderr) {
		t.Errorf("the summary has no FAILED row for q-a1:\n%s", r.stderr)
	}
	// install_timeout, then 15 s for the journal read that finds the host
	// gone, then the agents phase's own wind-down and the lock release on the
	// unplugged host: 73 s after the cut measured on a loaded machine.
	if sinceCut > installCutTimeout+60*time.Second {
		t.Errorf("the run ended %s after the network was cut, want it stopped at install_timeout (%s) plus the journal read", sinceCut.Round(time.Second), installCutTimeout)
	}
	checkInstallCutHost(t, f, ag, "after the cut install")

	hostAction(t, ag, f.Connect)
	r = tool(t, nil, "up", "-i", inv)
	t.Logf("the re-run after the network came back: exit %d in %s; stderr:\n%s", r.code, r.took.Round(100*time.Millisecond), r.stderr)
	if r.code != 0 {
		t.Fatalf("the re-run after the cut install did not converge: exit %d:\n%s", r.code, r.stderr)
	}
	checkVersions(t, kubectlNodes(t, kc), []string{"q-srv", "q-a1"}, v1)
	for _, h := range f.Hosts {
		checkInstallCutHost(t, f, h, "after the re-run")
	}
	r = mustTool(t, "up", "-i", inv)
	wantStderr(t, r, "the third up", "0 changes on 2 hosts")
	t.Logf("TestFaultInstallCut took %s", time.Since(t0).Round(time.Second))
}

// checkInstallCutHost: no half-written file, and cmdline.txt is one line.
func checkInstallCutHost(t *testing.T, f *fleet.Fleet, h *fleet.Host, when string) {
	t.Helper()
	if left := hostExec(t, f, h, installCutHalf); left != "" {
		t.Errorf("%s: %s holds half-written files:\n%s", when, h.Name, left)
	}
	if got := hostExec(t, f, h, "grep -c '' /boot/firmware/cmdline.txt; test -s /boot/firmware/cmdline.txt && echo full"); got != "1\nfull" {
		t.Errorf("%s: %s's cmdline.txt is not one non-empty line (%q)", when, h.Name, got)
	}
}
