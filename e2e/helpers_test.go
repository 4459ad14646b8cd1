//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
	"github.com/k3sup-pi/k3sup-pi/e2e/standin"
)

// toolBin is the k3sup-pi binary under test, built once by TestMain.
var toolBin string

// Stand-in k3s versions: the mirror serves both, stable points at the older.
const (
	v1 = "v1.31.4+k3s1"
	v2 = "v1.31.5+k3s1"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "k3sup-pi-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	toolBin = filepath.Join(dir, "k3sup-pi")
	build := exec.Command("go", "build", "-o", toolBin, "../cmd/k3sup-pi")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build k3sup-pi:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hostSpec is one inventory host of a test.
type hostSpec struct {
	h        *fleet.Host
	role     string
	hostname string
	extra    string // more keys of the host entry, each line indented 4 spaces
}

// inventory renders an inventory for the fleet: cluster lines (indented 2),
// then the hosts.
func inventory(f *fleet.Fleet, cluster string, hosts []hostSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cluster:\n  name: %s\n%s", f.Name, indent(cluster, "  "))
	fmt.Fprintf(&b, "ssh:\n  user: pi\n  key: %s\n  known_hosts: %s\nhosts:\n", f.KeyPath, f.KnownHostsPath)
	for _, h := range hosts {
		fmt.Fprintf(&b, "  - address: %s\n", h.h.Addr)
		if h.role != "" {
			fmt.Fprintf(&b, "    role: %s\n", h.role)
		}
		if h.hostname != "" {
			fmt.Fprintf(&b, "    hostname: %s\n", h.hostname)
		}
		b.WriteString(indent(h.extra, "    "))
	}
	return b.String()
}

func indent(s, pre string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(pre + l + "\n")
	}
	return b.String()
}

// onlineInstall are the cluster lines that make hosts download k3s from the fleet's mirror.
func onlineInstall(f *fleet.Fleet) string {
	u := f.MirrorURL()
	return fmt.Sprintf("install:\n  source: online\n  script_url: %s/install.sh\n  download_url: %s/k3s-io/k3s/releases\n  channel_url: %s/v1-release/channels\n", u, u, u)
}

// startFleet starts a fleet for one test and removes it when the test ends.
// With mirror, the stand-in k3s releases are published on it.
func startFleet(t testing.TB, name string, n int, mirror bool) *fleet.Fleet {
	t.Helper()
	return startFleetOpts(t, fleet.Options{Name: name, N: n, Mirror: mirror})
}

// startFleetOpts is startFleet with every fleet option (a bastion, say).
func startFleetOpts(t testing.TB, o fleet.Options) *fleet.Fleet {
	t.Helper()
	name, n, mirror := o.Name, o.N, o.Mirror
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	f, err := fleet.Start(ctx, o)
	if err != nil {
		t.Fatalf("start fleet %s: %v", name, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("fleet %s kept for inspection; remove it with `make fleet-down`", name)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := f.Down(ctx); err != nil {
			t.Errorf("fleet down: %v", err)
		}
	})
	t.Logf("fleet %s: %d hosts up in %s", name, n, time.Since(start).Round(time.Second))
	if mirror {
		root := filepath.Join(t.TempDir(), "mirror")
		if err := standin.StageMirror(ctx, root, []string{v1, v2}, v1); err != nil {
			t.Fatalf("stage mirror: %v", err)
		}
		if err := f.PublishMirror(ctx, root); err != nil {
			t.Fatalf("publish mirror: %v", err)
		}
	}
	return f
}

// writeFile writes an inventory (or any file) into the test's temp dir.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// result is one k3sup-pi run.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// tool runs k3sup-pi with args and no standard input.
func tool(t testing.TB, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, toolBin, args...)
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run k3sup-pi: %v", err)
	}
	return r
}

// mustTool runs k3sup-pi and fails the test unless it exits 0.
func mustTool(t testing.TB, args ...string) result {
	t.Helper()
	r := tool(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("k3sup-pi %s: exit %d\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	t.Logf("k3sup-pi %s: %s", args[0], r.took.Round(100*time.Millisecond))
	return r
}

// exec runs a script on a host through docker exec (the test's back door).
func hostExec(t testing.TB, f *fleet.Fleet, h *fleet.Host, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := f.Exec(ctx, h, script)
	if err != nil {
		t.Fatalf("%s: %s: %v", h.Name, script, err)
	}
	return strings.TrimSpace(out)
}

// kubeNode is what the tests read of a node through the real kubectl.
type kubeNode struct {
	Metadata struct {
		Name              string            `json:"name"`
		Labels            map[string]string `json:"labels"`
		Annotations       map[string]string `json:"annotations"`
		CreationTimestamp time.Time         `json:"creationTimestamp"`
	} `json:"metadata"`
	Spec struct {
		Taints        []struct{ Key, Value, Effect string } `json:"taints"`
		Unschedulable bool                                  `json:"unschedulable"`
	} `json:"spec"`
	Status struct {
		Conditions []struct{ Type, Status string } `json:"conditions"`
		NodeInfo   struct {
			KubeletVersion string `json:"kubeletVersion"`
		} `json:"nodeInfo"`
	} `json:"status"`
}

func (n kubeNode) ready() bool {
	for _, c := range n.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

func (n kubeNode) hasTaint(key, effect string) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key && t.Effect == effect {
			return true
		}
	}
	return false
}

// kubectlNodes lists the nodes with the runner's real kubectl and a kubeconfig.
func kubectlNodes(t testing.TB, kubeconfig string) map[string]kubeNode {
	t.Helper()
	out, err := exec.Command("kubectl", "--kubeconfig", kubeconfig, "get", "nodes", "-o", "json").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get nodes: %v\n%s", err, out)
	}
	var list struct{ Items []kubeNode }
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("decode nodes: %v", err)
	}
	m := map[string]kubeNode{}
	for _, n := range list.Items {
		m[n.Metadata.Name] = n
	}
	return m
}

// serviceStart is the monotonic start time of a host's k3s unit: any restart changes it.
func serviceStart(t testing.TB, f *fleet.Fleet, h *fleet.Host) string {
	return hostExec(t, f, h, "systemctl show -p ActiveEnterTimestampMonotonic --value k3s k3s-agent 2>/dev/null | grep -v -e '^0$' -e '^$' | head -1")
}
