//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/clientcmd/api"
)

// TestLifecycleAddNodeAndKubeconfig is issue 5's add-node and kubeconfig
// proofs on one fleet: a 1+2 cluster grows to 1+3 touching no other node,
// clashing names are refused, a second add-node is a no-op; the kubeconfig
// works with the real kubectl, merges into a file with unrelated contexts, and
// a merge after the cluster was rebuilt replaces the stale CA.
func TestLifecycleAddNodeAndKubeconfig(t *testing.T) {
	f := startFleet(t, "lc4", 4, true)
	names := []string{"lc-srv", "lc-a1", "lc-a2", "lc-a3"}
	all := specs(f.Hosts, names)
	cluster := onlineInstall(f) + "k3s_version: " + v1 + "\n"
	inv3 := writeFile(t, "inventory3.yml", inventory(f, cluster, all[:3]))
	inv4 := writeFile(t, "inventory4.yml", inventory(f, cluster, all))

	mustTool(t, "up", "-i", inv3)
	kc := filepath.Join(filepath.Dir(inv3), "kubeconfig")
	if nodes := kubectlNodes(t, kc); len(nodes) != 3 {
		t.Fatalf("after up: %d nodes, want 3", len(nodes))
	}

	testAddNodeClashRefused(t, f, cluster, all)
	testAddNode(t, f, inv3, inv4, kc, names)
	testKubeconfig(t, f, inv3, inv4, names)
}

// hostState is what a refused add-node must leave alone on a host.
func hostState(t *testing.T, f *fleet.Fleet, h *fleet.Host) string {
	return hostExec(t, f, h, "cat /boot/firmware/cmdline.txt; hostname; cat /etc/hostname; "+
		"ls /usr/local/bin /etc/rancher /var/lib/rancher 2>&1; systemctl list-units --all --no-legend 'k3s*' | wc -l")
}

// testAddNodeClashRefused: a host whose node name the cluster already has is
// refused before any change, named by --hostname or by its own hostname.
func testAddNodeClashRefused(t *testing.T, f *fleet.Fleet, cluster string, all []hostSpec) {
	h := f.Hosts[3]
	before := hostState(t, f, h)
	inv3 := writeFile(t, "inventory3.yml", inventory(f, cluster, all[:3]))
	r := tool(t, nil, "add-node", "-i", inv3, "--address", h.Addr, "--hostname", "lc-a1")
	if r.code != 3 || !strings.Contains(r.stderr, `"lc-a1"`) {
		t.Errorf("add-node --hostname lc-a1 (taken): exit %d, want 3 naming lc-a1\n%s", r.code, r.stderr)
	}
	if got := hostState(t, f, h); got != before {
		t.Fatalf("refused add-node changed %s:\nbefore %s\nafter  %s", h.Name, before, got)
	}

	// A second server cannot join a single server that keeps its data in SQLite.
	r = tool(t, nil, "add-node", "-i", inv3, "--address", h.Addr, "--hostname", "lc-s2", "--role", "server")
	if r.code != 3 || !strings.Contains(r.stderr, "SQLite") {
		t.Errorf("add-node --role server onto a SQLite server: exit %d, want 3\n%s", r.code, r.stderr)
	}
	if got := hostState(t, f, h); got != before {
		t.Fatalf("refused add-node --role server changed %s:\nbefore %s\nafter  %s", h.Name, before, got)
	}

	// The board itself is called lc-a2 (a re-flashed node, say) and the
	// inventory gives it no hostname.
	hostExec(t, f, h, "hostname lc-a2 && echo lc-a2 > /etc/hostname")
	named := hostState(t, f, h)
	noName := append(append([]hostSpec{}, all[:3]...), hostSpec{h: h})
	invNoName := writeFile(t, "inventory4.yml", inventory(f, cluster, noName))
	r = tool(t, nil, "add-node", "-i", invNoName, "--host", h.Addr)
	if r.code != 3 || !strings.Contains(r.stderr, `"lc-a2"`) {
		t.Errorf("add-node of a host named lc-a2: exit %d, want 3 naming lc-a2\n%s", r.code, r.stderr)
	}
	if got := hostState(t, f, h); got != named {
		t.Fatalf("refused add-node changed %s:\nbefore %s\nafter  %s", h.Name, named, got)
	}
	hostExec(t, f, h, "hostname raspberrypi && echo raspberrypi > /etc/hostname")
}

// testAddNode: add-node by inventory entry joins the 4th host, touching no
// other node; again (by entry, then by --address) it changes nothing.
func testAddNode(t *testing.T, f *fleet.Fleet, inv3, inv4, kc string, names []string) {
	starts, cmdlines := map[string]string{}, map[string]string{}
	for _, h := range f.Hosts {
		cmdlines[h.Name] = hostExec(t, f, h, "cat /boot/firmware/cmdline.txt")
	}
	for _, h := range f.Hosts[:3] {
		starts[h.Name] = serviceStart(t, f, h)
	}

	r := mustTool(t, "add-node", "-i", inv4, "--host", "lc-a3")
	nodes := kubectlNodes(t, kc)
	if len(nodes) != 4 || !nodes["lc-a3"].ready() || nodes["lc-a3"].Status.NodeInfo.KubeletVersion != v1 {
		t.Fatalf("after add-node: nodes %v, lc-a3 ready=%v\n%s", keys(nodes), nodes["lc-a3"].ready(), r.stderr)
	}
	for _, h := range f.Hosts[:3] {
		if got := serviceStart(t, f, h); got != starts[h.Name] {
			t.Errorf("%s: k3s restarted by add-node (%s -> %s)", h.Name, starts[h.Name], got)
		}
		if got := hostExec(t, f, h, "cat /boot/firmware/cmdline.txt"); got != cmdlines[h.Name] {
			t.Errorf("%s: cmdline.txt changed by add-node", h.Name)
		}
	}
	h := f.Hosts[3]
	want := strings.TrimRight(cmdlines[h.Name], "\n") + patchedFlags + "\nlc-a3"
	if got := hostExec(t, f, h, "cat /boot/firmware/cmdline.txt; hostname"); got != want {
		t.Errorf("%s after add-node:\n got %q\nwant %q", h.Name, got, want)
	}

	snap := snapshot(t, f)
	r = mustTool(t, "add-node", "-i", inv4, "--host", "lc-a3")
	if !strings.Contains(r.stderr, "0 changes on 2 hosts") {
		t.Errorf("second add-node should change nothing:\n%s", r.stderr)
	}
	r = mustTool(t, "add-node", "-i", inv3, "--address", h.Addr, "--hostname", "lc-a3")
	if !strings.Contains(r.stderr, "0 changes on 2 hosts") {
		t.Errorf("add-node --address of the joined host should change nothing:\n%s", r.stderr)
	}
	// The joined host under another name: k3s already runs there, refused.
	r = tool(t, nil, "add-node", "-i", inv3, "--address", h.Addr, "--hostname", "lc-other")
	if r.code != 3 || !strings.Contains(r.stderr, "already runs here") {
		t.Errorf("add-node of a joined host under another name: exit %d, want 3\n%s", r.code, r.stderr)
	}
	if after := snapshot(t, f); after != snap {
		t.Errorf("repeated add-node changed hosts:\nbefore %s\nafter  %s", snap, after)
	}
	t.Logf("add-node: 1+2 -> 1+3, nodes %v", names)
}

// testKubeconfig: stdout is a kubeconfig the real kubectl uses; --merge keeps
// unrelated contexts, switches only when asked, writes 0600 with a backup;
// after the cluster is rebuilt (new CA) a new merge replaces the stale one.
func testKubeconfig(t *testing.T, f *fleet.Fleet, inv3, inv4 string, names []string) {
	dir := t.TempDir()
	r := mustTool(t, "kubeconfig", "-i", inv4)
	printed := filepath.Join(dir, "printed")
	if err := os.WriteFile(printed, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := loadKubeconfig(t, printed)
	if cfg.CurrentContext != f.Name || cfg.Contexts[f.Name] == nil || cfg.Clusters[f.Name] == nil || cfg.AuthInfos[f.Name] == nil ||
		len(cfg.Contexts)+len(cfg.Clusters)+len(cfg.AuthInfos) != 3 {
		t.Errorf("kubeconfig not named after the cluster %q: %+v", f.Name, cfg)
	}
	if srv := cfg.Clusters[f.Name].Server; srv != "https://"+f.Hosts[0].Addr+":6443" {
		t.Errorf("kubeconfig server = %q", srv)
	}
	if got := kubectlNodes(t, printed); len(got) != 4 {
		t.Errorf("kubectl with the printed kubeconfig: %d nodes, want 4", len(got))
	}
	r = mustTool(t, "kubeconfig", "-i", inv4, "--context", "lc-pis")
	if c := parseKubeconfig(t, r.stdout); c.CurrentContext != "lc-pis" || c.Clusters["lc-pis"] == nil || c.AuthInfos["lc-pis"] == nil {
		t.Errorf("--context lc-pis: %+v", c)
	}

	// --merge into a kubeconfig holding two unrelated contexts.
	merged := filepath.Join(dir, "config")
	if err := os.WriteFile(merged, []byte(dummyKubeconfig), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"KUBECONFIG=" + merged}
	r = tool(t, env, "kubeconfig", "-i", inv4, "--merge")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("kubeconfig --merge: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	cfg = checkMerged(t, merged, "dummy-a")
	if fi, err := os.Stat(merged); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("merged file mode: %v %v", fi.Mode(), err)
	}
	backups, _ := filepath.Glob(merged + ".bak-*")
	if len(backups) != 1 {
		t.Errorf("backups: %v, want one", backups)
	} else if b, _ := os.ReadFile(backups[0]); string(b) != dummyKubeconfig {
		t.Errorf("backup %s does not hold the old file", backups[0])
	}
	kubectlContext(t, merged, f.Name, 4)

	r = tool(t, env, "kubeconfig", "-i", inv4, "--merge", "--switch-context")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("kubeconfig --merge --switch-context: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	oldCA := checkMerged(t, merged, f.Name).Clusters[f.Name].CertificateAuthorityData
	if string(oldCA) != string(cfg.Clusters[f.Name].CertificateAuthorityData) {
		t.Error("a second merge of the same cluster changed its CA")
	}
	// The same merge again finds nothing to change: no write, no backup.
	r = tool(t, env, "kubeconfig", "-i", inv4, "--merge")
	if backups, _ := filepath.Glob(merged + ".bak-*"); r.code != 0 || r.stdout != "" || len(backups) != 2 {
		t.Errorf("unchanged merge: exit %d, stdout %q, backups %v (want 2)\n%s", r.code, r.stdout, backups, r.stderr)
	}
	if r = tool(t, env, "kubeconfig", "-i", inv4, "--switch-context"); r.code != 2 || r.stdout != "" {
		t.Errorf("--switch-context without --merge: exit %d, want 2\n%s", r.code, r.stderr)
	}

	// Rebuild the cluster: `reset` every host, up with 1+2, add the 4th host
	// by --address and --hostname.
	mustTool(t, "reset", "-i", inv4, "--yes")
	for _, h := range f.Hosts {
		hostExec(t, f, h, "test ! -e /usr/local/bin/k3s")
	}
	mustTool(t, "up", "-i", inv3)
	r = mustTool(t, "add-node", "-i", inv3, "--address", f.Hosts[3].Addr, "--hostname", "lc-a3")
	if !strings.Contains(r.stderr, "install") {
		t.Errorf("add-node --address did not install k3s on the new host:\n%s", r.stderr)
	}
	if out, err := exec.Command("kubectl", "--kubeconfig", merged, "--context", f.Name, "get", "nodes").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "x509") {
		t.Errorf("the stale kubeconfig should fail with an x509 error after the rebuild: err %v\n%s", err, out)
	}
	r = tool(t, env, "kubeconfig", "-i", inv4, "--merge")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("kubeconfig --merge after the rebuild: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	cfg = checkMerged(t, merged, f.Name)
	if string(cfg.Clusters[f.Name].CertificateAuthorityData) == string(oldCA) {
		t.Error("the merge after the rebuild kept the stale CA")
	}
	kubectlContext(t, merged, f.Name, len(names))
	if backups, _ := filepath.Glob(merged + ".bak-*"); len(backups) != 3 {
		t.Errorf("backups after three merges: %v, want three", backups)
	}
}

// dummyKubeconfig holds two contexts unrelated to the fleet.
const dummyKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: dummy-a
  cluster:
    server: https://10.255.0.1:6443
    insecure-skip-tls-verify: true
- name: dummy-b
  cluster:
    server: https://dummy-b.example:443
users:
- name: dummy-a
  user:
    token: token-a
- name: dummy-b
  user:
    username: bob
    password: pw-b
contexts:
- name: dummy-a
  context:
    cluster: dummy-a
    user: dummy-a
    namespace: apps
- name: dummy-b
  context:
    cluster: dummy-b
    user: dummy-b
current-context: dummy-a
`

// checkMerged loads the merged file and checks that the two dummy contexts are
// intact, the cluster's entries are there and current-context is current.
func checkMerged(t *testing.T, path, current string) *api.Config {
	t.Helper()
	c := loadKubeconfig(t, path)
	a, b := c.Contexts["dummy-a"], c.Contexts["dummy-b"]
	switch {
	case a == nil || a.Cluster != "dummy-a" || a.AuthInfo != "dummy-a" || a.Namespace != "apps",
		b == nil || b.Cluster != "dummy-b" || b.AuthInfo != "dummy-b",
		c.Clusters["dummy-a"] == nil || c.Clusters["dummy-a"].Server != "https://10.255.0.1:6443" || !c.Clusters["dummy-a"].InsecureSkipTLSVerify,
		c.Clusters["dummy-b"] == nil || c.Clusters["dummy-b"].Server != "https://dummy-b.example:443",
		c.AuthInfos["dummy-a"] == nil || c.AuthInfos["dummy-a"].Token != "token-a",
		c.AuthInfos["dummy-b"] == nil || c.AuthInfos["dummy-b"].Username != "bob" || c.AuthInfos["dummy-b"].Password != "pw-b":
		t.Errorf("merge lost or changed the unrelated entries: %+v", c)
	}
	if len(c.Contexts) != 3 || len(c.Clusters) != 3 || len(c.AuthInfos) != 3 {
		t.Errorf("merged file: %d contexts, %d clusters, %d users, want 3 each", len(c.Contexts), len(c.Clusters), len(c.AuthInfos))
	}
	if c.CurrentContext != current {
		t.Errorf("current-context = %q, want %q", c.CurrentContext, current)
	}
	return c
}

// kubectlContext lists nodes with the real kubectl through one context of a
// kubeconfig file and wants n of them.
func kubectlContext(t *testing.T, path, context string, n int) {
	t.Helper()
	out, err := exec.Command("kubectl", "--kubeconfig", path, "--context", context, "get", "nodes", "-o", "name").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl --context %s get nodes: %v\n%s", context, err, out)
	}
	if got := len(strings.Fields(string(out))); got != n {
		t.Errorf("kubectl --context %s: %d nodes, want %d\n%s", context, got, n, out)
	}
}

func loadKubeconfig(t *testing.T, path string) *api.Config {
	t.Helper()
	c, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return c
}

func parseKubeconfig(t *testing.T, data string) *api.Config {
	t.Helper()
	c, err := clientcmd.Load([]byte(data))
	if err != nil {
		t.Fatalf("stdout is not a kubeconfig: %v\n%s", err, data)
	}
	return c
}

func keys(m map[string]kubeNode) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
