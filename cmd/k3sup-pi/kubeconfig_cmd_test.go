package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/kubeconfig/kctest"
	"k8s.io/client-go/tools/clientcmd"
)

// TestKubeconfigCommand runs `kubeconfig` end to end on a fake server: the
// kubeconfig (and nothing else) on stdout, or merged into $KUBECONFIG with
// progress on stderr.
func TestKubeconfigCommand(t *testing.T) {
	k3sYAML := string(kctest.YAML(t, kctest.NewPKI(t).Config()))
	tests := []struct {
		name    string
		args    []string
		existed bool // $KUBECONFIG holds another context before
		code    int
		stderr  []string
		context string // the context stdout or the merged file names, "" for none
	}{
		{"print", nil, false, exitOK, nil, "pi-lab"},
		{"print under another name", []string{"--context", "pis"}, false, exitOK, nil, "pis"},
		{"merge into a new file", []string{"--merge"}, false, exitOK, []string{`==> merged context "pi-lab" into `}, "pi-lab"},
		{"merge keeps a backup", []string{"--merge", "--switch-context"}, true, exitOK,
			[]string{`==> merged context "pi-lab" into `, "    backup: "}, "pi-lab"},
		{"switch-context needs merge", []string{"--switch-context"}, false, exitBadInput,
			[]string{"error: kubeconfig: --switch-context works with --merge"}, ""},
		{"no server reached", nil, false, exitFailed, []string{"error: read the kubeconfig (is the cluster up? run `k3sup-pi up` first): ",
			"10.0.0.1: connect 10.0.0.1:22: no route to host"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := filepath.Join(t.TempDir(), "config")
			t.Setenv("KUBECONFIG", kc)
			if tt.existed {
				writeTestFile(t, kc, []byte("apiVersion: v1\nkind: Config\ncurrent-context: work\n"))
			}
			fleet := newFleet(t)
			if tt.code != exitFailed {
				fleet.host("10.0.0.1", "pi4-k3s-server.txt").SetFile("/etc/rancher/k3s/k3s.yaml", []byte(k3sYAML))
			}
			if tt.code == exitOK {
				fleet.expects("10.0.0.1: read /etc/rancher/k3s/k3s.yaml")
			}
			io := newTestIO("", false)
			inv := writeInventory(t, "cluster:\n  name: pi-lab\nhosts:\n  - {address: 10.0.0.1, role: server}\n")
			code := runWith(t, io, fleet, append([]string{"kubeconfig", "-i", inv}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, io.err)
			}
			wantInOrder(t, io.err.String(), tt.stderr...)
			merged := len(tt.args) > 0 && tt.args[0] == "--merge"
			if tt.stderr == nil && io.err.Len() != 0 {
				t.Errorf("stderr not empty:\n%s", io.err)
			}
			got := io.out.Bytes()
			if merged {
				if io.out.Len() != 0 {
					t.Errorf("stdout not empty with --merge:\n%s", io.out)
				}
				got, _ = os.ReadFile(kc)
			}
			if tt.context == "" {
				return
			}
			c, err := clientcmd.Load(got)
			if err != nil {
				t.Fatalf("not a kubeconfig: %v\n%s", err, got)
			}
			if c.Contexts[tt.context] == nil || c.Clusters[tt.context] == nil ||
				!strings.HasPrefix(c.Clusters[tt.context].Server, "https://10.0.0.1:6443") {
				t.Errorf("kubeconfig lacks context %q at 10.0.0.1:\n%s", tt.context, got)
			}
			if tt.existed && c.CurrentContext != tt.context {
				t.Errorf("--switch-context left current-context %q", c.CurrentContext)
			}
		})
	}
}

// TestKubeconfigMergeTwiceWritesOnce: a second merge of the same cluster
// changes nothing and says so.
func TestKubeconfigMergeTwiceWritesOnce(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "config")
	t.Setenv("KUBECONFIG", kc)
	k3sYAML := string(kctest.YAML(t, kctest.NewPKI(t).Config()))
	inv := writeInventory(t, "cluster:\n  name: pi-lab\nhosts:\n  - {address: 10.0.0.1, role: server}\n")
	var first []byte
	for i, want := range []string{`merged context "pi-lab"`, `context "pi-lab" in ` + kc + ` is already current; nothing written`} {
		fleet := newFleet(t).expects("10.0.0.1: read /etc/rancher/k3s/k3s.yaml")
		fleet.host("10.0.0.1", "pi4-k3s-server.txt").SetFile("/etc/rancher/k3s/k3s.yaml", []byte(k3sYAML))
		io := newTestIO("", false)
		if code := runWith(t, io, fleet, "kubeconfig", "--merge", "-i", inv); code != exitOK || !strings.Contains(io.err.String(), want) {
			t.Errorf("run %d: exit %d, want 0 with %q:\n%s", i+1, code, want, io.err)
		}
		b, _ := os.ReadFile(kc)
		if i == 0 {
			first = b
		} else if string(b) != string(first) {
			t.Errorf("the second merge changed the file")
		}
	}
}
