//go:build e2e

package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
)

// TestFailurePaths is issue 11's proof, on 1 server + 1 agent, of what the
// tool does where the stand-in now fails as k3s does: an installer that
// cannot download shows the user its own reason (item 9); an inventory token
// that is not the cluster's is refused before any change (item 2); and an
// agent reset while its server is down keeps its node password, so it
// rejoins under the same name (item 4; the reset of an agent from a running
// cluster, which deletes the node and its node-password secret, is in
// TestResetLifecycle).
func TestFailurePaths(t *testing.T) {
	t0 := time.Now()
	f := startFleet(t, "s1", 2, true)
	hosts := specs(f.Hosts, []string{"sf-srv", "sf-a1"})
	const tokenOne, tokenTwo = "s1-first-token-5e1f0c", "s1-second-token-9a7b3d"
	cluster := func(version, token string) string {
		return onlineInstall(f) + "k3s_version: " + version + "\ntoken: " + token + "\nready_timeout: 90s\n"
	}

	// Item 9: a version the mirror does not have. install.sh says on stdout
	// which URL it fetched and only "Download failed" on stderr.
	bad := writeFile(t, "bad.yml", inventory(f, cluster("v1.31.9+k3s1", tokenOne), hosts))
	step := time.Now()
	r := tool(t, nil, "up", "-i", bad)
	want := regexp.MustCompile(`(?s)\[ERROR\]  Download failed.*\[INFO\]  Downloading hash https://[^ ]+/download/v1\.31\.9\+k3s1/sha256sum-amd64\.txt`)
	if r.code != 1 || !want.MatchString(r.stderr) {
		t.Fatalf("install of a missing version: exit %d, want 1 showing both of the installer's streams (%s):\n%s", r.code, want, r.stderr)
	}
	t.Logf("failed install reported in %s:\n%s", time.Since(step).Round(100*time.Millisecond), r.stderr)

	inv := writeFile(t, "inventory.yml", inventory(f, cluster(v1, tokenOne), hosts))
	mustTool(t, "up", "-i", inv)
	kc := strings.TrimSuffix(inv, "inventory.yml") + "kubeconfig"
	wantSecrets(t, kc, "secret/sf-a1.node-password.k3s", "secret/sf-srv.node-password.k3s")

	testAnotherTokenRefused(t, f, hosts, cluster(v1, tokenTwo), kc, tokenOne, tokenTwo)
	testResetWhileServerDown(t, f, inv, kc)
	t.Logf("TestFailurePaths took %s", time.Since(t0).Round(time.Second))
}

// testAnotherTokenRefused: up with a token that is not the cluster's exits 3
// before any change (config.yaml and the units untouched on both hosts),
// names no token, and the cluster stays Ready.
func testAnotherTokenRefused(t *testing.T, f *fleet.Fleet, hosts []hostSpec, cluster, kc string, tokens ...string) {
	state := func() string {
		var b strings.Builder
		for _, h := range f.Hosts {
			b.WriteString(hostExec(t, f, h, "sha256sum /etc/rancher/k3s/config.yaml") + " " + serviceStart(t, f, h) + "\n")
		}
		return b.String()
	}
	before := state()
	inv := writeFile(t, "token2.yml", inventory(f, cluster, hosts))
	step := time.Now()
	r := tool(t, nil, "up", "-i", inv)
	want := regexp.MustCompile(`the inventory's token differs from the token cluster s1 was created with \(on [^)]+\); use the cluster's token or reset the cluster`)
	if r.code != 3 || !want.MatchString(r.stderr) {
		t.Fatalf("up with another token: exit %d, want 3 matching %s:\n%s", r.code, want, r.stderr)
	}
	t.Logf("another token refused in %s", time.Since(step).Round(100*time.Millisecond))
	for _, tok := range tokens {
		if strings.Contains(r.stdout+r.stderr, tok) {
			t.Errorf("a token reached the output:\n%s%s", r.stdout, r.stderr)
		}
	}
	if after := state(); after != before {
		t.Errorf("the refused run changed hosts:\nbefore %s\nafter  %s", before, after)
	}
	for name, n := range kubectlNodes(t, kc) {
		if !n.ready() {
			t.Errorf("%s not Ready after the refused run", name)
		}
	}
}

// testResetWhileServerDown: reset --host of the agent while its server is
// stopped cannot delete the node, so it keeps /etc/rancher/node; with the
// server back, up rejoins the agent under the same name (a new node password
// would be rejected by the node-password secret still in the cluster).
func testResetWhileServerDown(t *testing.T, f *fleet.Fleet, inv, kc string) {
	srv, agent := f.Hosts[0], f.Hosts[1]
	password := hostExec(t, f, agent, "cat /etc/rancher/node/password")
	hostExec(t, f, srv, "systemctl stop k3s")
	r := mustTool(t, "reset", "-i", inv, "--host", "sf-a1", "--yes")
	if !strings.Contains(r.stderr, "/etc/rancher/node is kept") {
		t.Errorf("reset with the server down does not say it keeps /etc/rancher/node:\n%s", r.stderr)
	}
	if got := hostExec(t, f, agent, "cat /etc/rancher/node/password; test -e /usr/local/bin/k3s && echo k3s-left || true"); got != password {
		t.Fatalf("after reset with the server down, the agent holds %q, want its old password only", got)
	}
	hostExec(t, f, srv, "systemctl start k3s")
	step := time.Now()
	mustTool(t, "up", "-i", inv)
	t.Logf("agent rejoined in %s", time.Since(step).Round(100*time.Millisecond))
	nodes := kubectlNodes(t, kc)
	if n, ok := nodes["sf-a1"]; !ok || !n.ready() || len(nodes) != 2 {
		t.Fatalf("after the rejoin the nodes are %v, want sf-srv and sf-a1 Ready", keys(nodes))
	}
	wantSecrets(t, kc, "secret/sf-a1.node-password.k3s", "secret/sf-srv.node-password.k3s")
}

// wantSecrets checks the node-password secrets of kube-system.
func wantSecrets(t *testing.T, kubeconfig string, want ...string) {
	t.Helper()
	out, err := exec.Command("kubectl", "--kubeconfig", kubeconfig, "get", "secrets", "-n", "kube-system", "-o", "name").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get secrets: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("node-password secrets %v, want %v", got, want)
	}
}
