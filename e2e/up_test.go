//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
)

const patchedFlags = " cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory"

// TestUpOneServerThreeAgents is issue 3's first three proofs: fresh Pis to a
// Ready cluster, a re-run that changes nothing, and a change that touches only
// what it must.
func TestUpOneServerThreeAgents(t *testing.T) {
	f := startFleet(t, "up4", 4, true)
	before := map[*fleet.Host]string{}
	for _, h := range f.Hosts {
		before[h] = hostExec(t, f, h, "cat /boot/firmware/cmdline.txt")
	}

	// Every flashed board is called raspberrypi: without hostnames, refused before any change.
	dup := writeFile(t, "dup.yml", inventory(f, onlineInstall(f), specs(f.Hosts, nil)))
	r := tool(t, nil, "up", "-i", dup)
	if r.code != 3 || !strings.Contains(r.stderr, "raspberrypi") {
		t.Fatalf("duplicate hostnames: exit %d, want 3 naming raspberrypi\n%s", r.code, r.stderr)
	}
	for _, h := range f.Hosts {
		if got := hostExec(t, f, h, "cat /boot/firmware/cmdline.txt"); got != before[h] {
			t.Fatalf("%s: cmdline.txt changed by a refused run", h.Name)
		}
	}

	names := []string{"pi-srv", "pi-a1", "pi-a2", "pi-a3"}
	hosts := specs(f.Hosts, names)
	hosts[1].extra = "labels:\n  disk: ssd\ntaints:\n  - gpu=true:NoSchedule"
	cluster := onlineInstall(f) + "k3s_version: " + v1 + "\ntaint_servers: true\nlabel_workers: true\n"
	inv := writeFile(t, "inventory.yml", inventory(f, cluster, hosts))

	// Dry run: the plan names every host's changes, and nothing changes.
	r = mustTool(t, "up", "-i", inv, "--dry-run")
	for _, want := range []string{"pi-srv", "patch cmdline.txt", "reboot", "install k3s", "set hostname pi-a3"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, r.stderr)
		}
	}
	for _, h := range f.Hosts {
		if got := hostExec(t, f, h, "cat /boot/firmware/cmdline.txt; test -e /usr/local/bin/k3s && echo k3s; hostname"); got != before[h]+"\nraspberrypi" {
			t.Fatalf("%s changed by --dry-run: %q", h.Name, got)
		}
	}

	r = mustTool(t, "up", "-i", inv)
	kc := filepath.Join(filepath.Dir(inv), "kubeconfig")
	nodes := kubectlNodes(t, kc)
	if len(nodes) != 4 {
		t.Fatalf("kubectl lists %d nodes, want 4: %v", len(nodes), nodes)
	}
	for _, name := range names {
		n, ok := nodes[name]
		if !ok || !n.ready() || n.Status.NodeInfo.KubeletVersion != v1 {
			t.Errorf("node %s: present=%v ready=%v version=%q", name, ok, n.ready(), n.Status.NodeInfo.KubeletVersion)
		}
	}
	if !nodes["pi-srv"].hasTaint("node-role.kubernetes.io/control-plane", "NoSchedule") {
		t.Error("server lacks the control-plane taint")
	}
	if nodes["pi-a1"].Metadata.Labels["disk"] != "ssd" || !nodes["pi-a1"].hasTaint("gpu", "NoSchedule") {
		t.Errorf("pi-a1 lacks its label or taint: %+v", nodes["pi-a1"])
	}
	for _, name := range names[1:] {
		if nodes[name].Metadata.Labels["node-role.kubernetes.io/worker"] != "true" {
			t.Errorf("%s lacks the worker label", name)
		}
	}
	for i, h := range f.Hosts {
		got := hostExec(t, f, h, "cat /boot/firmware/cmdline.txt; hostname")
		want := strings.TrimRight(before[h], "\n") + patchedFlags + "\n" + names[i]
		if got != want {
			t.Errorf("%s after up:\n got %q\nwant %q", h.Name, got, want)
		}
	}

	testRerunChangesNothing(t, f, inv)
	testChangeTouchesOnlyWhatItMust(t, f, hosts, cluster)
}

// testRerunChangesNothing: a second up on a healthy cluster changes nothing:
// no write, no restart, no reboot, and says so.
func testRerunChangesNothing(t *testing.T, f *fleet.Fleet, inv string) {
	snap := snapshot(t, f)
	r := mustTool(t, "up", "-i", inv)
	if !strings.Contains(r.stderr, "0 changes on 4 hosts") {
		t.Errorf("re-run should report 0 changes:\n%s", r.stderr)
	}
	if after := snapshot(t, f); after != snap {
		t.Errorf("re-run changed hosts:\nbefore %s\nafter  %s", snap, after)
	}
}

// testChangeTouchesOnlyWhatItMust: a new label on one host changes only that
// node; a new server setting restarts only the server.
func testChangeTouchesOnlyWhatItMust(t *testing.T, f *fleet.Fleet, hosts []hostSpec, cluster string) {
	starts := map[string]string{}
	for _, h := range f.Hosts {
		starts[h.Name] = serviceStart(t, f, h)
	}
	hosts[2].extra = "labels:\n  zone: attic"
	inv := writeFile(t, "inventory.yml", inventory(f, cluster+"server_config:\n  disable:\n    - traefik\n", hosts))
	r := mustTool(t, "up", "-i", inv)
	kc := filepath.Join(filepath.Dir(inv), "kubeconfig")
	if got := kubectlNodes(t, kc)["pi-a2"].Metadata.Labels["zone"]; got != "attic" {
		t.Errorf("pi-a2 zone label = %q", got)
	}
	for i, h := range f.Hosts {
		now := serviceStart(t, f, h)
		if restarted := now != starts[h.Name]; restarted != (i == 0) {
			t.Errorf("%s: restarted=%v, want only the server restarted\n%s", h.Name, restarted, r.stderr)
		}
	}
	if !strings.Contains(hostExec(t, f, f.Hosts[0], "cat /etc/rancher/k3s/config.yaml"), "traefik") {
		t.Error("server config.yaml lacks the new setting")
	}
}

// snapshot captures what must not move on a re-run: the k3s service start
// time, a boot marker in /run, cmdline.txt, config.yaml and the binary.
func snapshot(t *testing.T, f *fleet.Fleet) string {
	var b strings.Builder
	for _, h := range f.Hosts {
		hostExec(t, f, h, "test -e /run/e2e-boot-marker || date +%s%N > /run/e2e-boot-marker")
		out := hostExec(t, f, h, "cat /run/e2e-boot-marker; sha256sum /boot/firmware/cmdline.txt /etc/rancher/k3s/config.yaml /usr/local/bin/k3s; "+
			"stat -c %Y /etc/rancher/k3s/config.yaml /boot/firmware/cmdline.txt; systemctl show -p ActiveEnterTimestampMonotonic --value k3s k3s-agent")
		fmt.Fprintf(&b, "[%s %s] ", h.Name, strings.Join(strings.Fields(out), " "))
	}
	return b.String()
}

// specs pairs fleet hosts with hostnames (none when names is nil); roles are
// left out, so the first host is the server.
func specs(hosts []*fleet.Host, names []string) []hostSpec {
	out := make([]hostSpec, len(hosts))
	for i, h := range hosts {
		out[i].h = h
		if names != nil {
			out[i].hostname = names[i]
		}
	}
	return out
}
