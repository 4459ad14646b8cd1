//go:build e2e

package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
)

const bootIDPath = "/proc/sys/kernel/random/boot_id"

// TestReboots, on one fleet: running HA servers reboot one at a time, each
// back and Ready before the next; a host whose host key changes across the
// reboot is refused at once (not after reboot_timeout); a host that does not
// come back fails alone, named with the timeout, the last thing seen and its
// cmdline.txt backup, while the other hosts finish their reboot. A failure in
// the prepare step stops the run after that step (exit 1), as documented.
func TestReboots(t *testing.T) {
	f := startFleet(t, "r1", 6, true)
	servers := f.Hosts[:3]
	ok, gone, rekeyed := f.Hosts[3], f.Hosts[4], f.Hosts[5]
	boots := map[*fleet.Host]string{}
	cmdlines := map[*fleet.Host]string{}
	for _, h := range f.Hosts {
		boots[h] = hostExec(t, f, h, "cat "+bootIDPath)
		cmdlines[h] = hostExec(t, f, h, "cat /boot/firmware/cmdline.txt")
	}
	if boots[ok] == boots[gone] {
		t.Fatalf("two hosts share the kernel boot id %s: the fleet does not give each boot its own", boots[ok])
	}
	hosts := specs(servers, []string{"r-s1", "r-s2", "r-s3"})
	for i := range hosts {
		hosts[i].role = "server"
	}
	cluster := onlineInstall(f) + "k3s_version: " + v1 + "\n"
	testRollingServerReboot(t, f, cluster, hosts)
	testHostKeyChangedAtReboot(t, f, cluster, hosts, rekeyed)
	testNotBack(t, f, cluster, hosts, ok, gone, boots, cmdlines)
}

// testHostKeyChangedAtReboot: rekeyed gets new SSH host keys at its next boot
// (its keys are removed at shutdown; pifleet-hostkeys makes new ones).
func testHostKeyChangedAtReboot(t *testing.T, f *fleet.Fleet, cluster string, servers []hostSpec, rekeyed *fleet.Host) {
	start := time.Now()
	oldKey := hostExec(t, f, rekeyed, "cat /etc/ssh/ssh_host_ed25519_key.pub")
	hostExec(t, f, rekeyed, `systemd-run --quiet --unit pifleet-rekey -p RemainAfterExit=yes `+
		`-p "ExecStop=/bin/sh -c 'rm -f /etc/ssh/ssh_host_*'" /bin/true`)
	// A generous timeout: the refusal must come long before it.
	hosts := append(slices.Clone(servers), hostSpec{h: rekeyed, role: "agent", hostname: "r-a6"})
	inv := writeFile(t, "rekey.yml", inventory(f, cluster+"reboot_timeout: 5m\n", hosts))
	r := tool(t, nil, "up", "-i", inv)
	t.Logf("up with a host rekeyed at reboot: exit %d in %s", r.code, r.took.Round(100*time.Millisecond))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	logErrorLines(t, r.stderr)
	if want := "host key for " + rekeyed.Addr + " CHANGED"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if strings.Contains(r.stderr, "did not come back") {
		t.Errorf("the changed key was waited on as a host that did not come back:\n%s", r.stderr)
	}
	if r.took > 2*time.Minute {
		t.Errorf("the changed host key was refused after %s, want well under the 5m reboot_timeout", r.took.Round(time.Second))
	}
	if newKey := hostExec(t, f, rekeyed, "cat /etc/ssh/ssh_host_ed25519_key.pub"); newKey == oldKey {
		t.Fatal("the host key did not change across the reboot: the scenario did not happen")
	}
	t.Logf("host key scenario: %s", time.Since(start).Round(time.Second))
}

// testNotBack: gone's sshd is masked, so after its reboot nothing answers on
// port 22; ok reboots normally and must finish its prepare step.
func testNotBack(t *testing.T, f *fleet.Fleet, cluster string, servers []hostSpec, ok, gone *fleet.Host, boots, cmdlines map[*fleet.Host]string) {
	start := time.Now()
	hostExec(t, f, gone, "systemctl mask --quiet ssh.service")
	hosts := append(slices.Clone(servers), hostSpec{h: ok, role: "agent", hostname: "r-a4"},
		hostSpec{h: gone, role: "agent", hostname: "r-a5"})
	inv := writeFile(t, "gone.yml", inventory(f, cluster+"reboot_timeout: 60s\n", hosts))
	r := tool(t, nil, "up", "-i", inv)
	t.Logf("up with a host that does not come back: exit %d in %s", r.code, r.took.Round(100*time.Millisecond))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	logErrorLines(t, r.stderr)
	backup := "/boot/firmware/cmdline.txt.k3sup-pi.bak"
	var errLine string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "did not come back") {
			if errLine != "" {
				t.Errorf("more than one host reported not back:\n%s", r.stderr)
			}
			errLine = l
		}
	}
	for _, want := range []string{gone.Addr + " did not come back within 1m0s", "last seen: no SSH connection",
		"connection refused", backup, "console", "SD card"} {
		if !strings.Contains(errLine, want) {
			t.Errorf("the not-back error lacks %q:\n%s", want, errLine)
		}
	}
	if n := strings.Count(errLine, gone.Addr); n != 1 {
		t.Errorf("the not-back error names %s %d times, want once:\n%s", gone.Addr, n, errLine)
	}
	for _, h := range append([]*fleet.Host{ok}, f.Hosts[:3]...) {
		if strings.Contains(r.stderr, h.Addr+" ") || strings.Contains(r.stderr, h.Addr+":") {
			t.Errorf("a host that came back is reported as failed (%s):\n%s", h.Addr, r.stderr)
		}
	}
	checkRebooted(t, f, ok, boots)
	if got := hostExec(t, f, gone, "cat "+backup); got != cmdlines[gone] {
		t.Errorf("the backup the error names holds %q, want the original line %q", got, cmdlines[gone])
	}
	if got := hostExec(t, f, gone, "cat "+bootIDPath); got == boots[gone] {
		t.Error("the host that did not come back never rebooted: the scenario did not happen")
	}
	t.Logf("not-back scenario: %s", time.Since(start).Round(time.Second))
}

// checkRebooted: h runs a new boot with the patched cmdline.txt.
func checkRebooted(t *testing.T, f *fleet.Fleet, h *fleet.Host, boots map[*fleet.Host]string) {
	t.Helper()
	got := hostExec(t, f, h, fmt.Sprintf("cat %s; grep -c cgroup_enable=memory /boot/firmware/cmdline.txt", bootIDPath))
	id, n, _ := strings.Cut(got, "\n")
	if id == boots[h] || n != "1" {
		t.Errorf("%s: boot id %s (before %s), flags in cmdline.txt %s: want a new boot with the patched line", h.Name, id, boots[h], n)
	}
}

// logErrorLines shows what the user saw of the failure.
func logErrorLines(t *testing.T, stderr string) {
	t.Helper()
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(strings.ToLower(l), "error") || strings.Contains(l, "did not") || strings.Contains(l, "CHANGED") {
			t.Logf("stderr: %s", l)
		}
	}
}

// testRollingServerReboot builds a 3-server cluster, then takes the cgroup
// flags off every server's cmdline.txt (as a hand edit would) so that the next
// up must reboot all three while they run k3s: they must go one at a time,
// each back and Ready before the next goes down.
func testRollingServerReboot(t *testing.T, f *fleet.Fleet, cluster string, hosts []hostSpec) {
	inv := writeFile(t, "ha.yml", inventory(f, cluster, hosts))
	mustTool(t, "up", "-i", inv)
	for _, h := range hosts {
		hostExec(t, f, h.h, "cp /boot/firmware/cmdline.txt.k3sup-pi.bak /boot/firmware/cmdline.txt")
	}
	start := time.Now()
	r := mustTool(t, "up", "-i", inv)
	t.Logf("rolling reboot of 3 running servers: %s", r.took.Round(100*time.Millisecond))
	if n := strings.Count(r.stderr, "one at a time"); n != 3 {
		t.Errorf("%d servers announced a one-at-a-time reboot, want 3:\n%s", n, r.stderr)
	}
	nodes := kubectlNodes(t, filepath.Join(filepath.Dir(inv), "kubeconfig"))
	var prevUp, prevReady time.Time
	for i, h := range hosts {
		down, up := downInterval(t, h.h)
		if down.Before(start) || !up.After(down) {
			t.Fatalf("%s: went down at %s and up at %s: not rebooted by this run (started %s)", h.hostname, down, up, start)
		}
		ready := time.Time{}
		for _, e := range history(t, nodes[h.hostname]) {
			if e.Event == "ready" && e.Time.After(up) {
				ready = e.Time
				break
			}
		}
		if ready.IsZero() || !nodes[h.hostname].ready() {
			t.Errorf("%s: not Ready again after its reboot (ready event %s)", h.hostname, ready)
		}
		if i > 0 && !down.After(prevReady) {
			t.Errorf("%s went down at %s, before %s was back (%s) and Ready (%s)",
				h.hostname, down.Format(time.RFC3339Nano), hosts[i-1].hostname, prevUp.Format(time.RFC3339Nano), prevReady.Format(time.RFC3339Nano))
		}
		prevUp, prevReady = up, ready
	}
}

// downInterval is when h's container last stopped (its reboot went down) and
// started again, as Docker recorded it.
func downInterval(t *testing.T, h *fleet.Host) (down, up time.Time) {
	t.Helper()
	out, err := exec.Command("docker", "inspect", "-f", "{{.State.FinishedAt}} {{.State.StartedAt}}", h.Container).Output()
	if err != nil {
		t.Fatalf("docker inspect %s: %v", h.Container, err)
	}
	d, u, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	var err1, err2 error
	down, err1 = time.Parse(time.RFC3339Nano, d)
	up, err2 = time.Parse(time.RFC3339Nano, u)
	if err1 != nil || err2 != nil {
		t.Fatalf("docker inspect %s: %q", h.Container, out)
	}
	return down, up
}
