package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/kubeconfig/kctest"
	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"k8s.io/client-go/tools/clientcmd/api"
)

// TestKubeconfigCommandRefusesPlantedExec runs `kubeconfig` and
// `kubeconfig --merge` against an SSH server whose k3s.yaml carries an exec
// plugin: both fail naming the host and the field, print nothing on stdout
// and leave the operator's kubeconfig as it was.
func TestKubeconfigCommandRefusesPlantedExec(t *testing.T) {
	c := kctest.NewPKI(t).Config()
	c.AuthInfos["default"].Exec = &api.ExecConfig{APIVersion: "client.authentication.k8s.io/v1", Command: "sh",
		Args: []string{"-c", "touch /tmp/pwned"}}
	inv, kc := kubeconfigFixture(t, kctest.YAML(t, c))
	before := []byte("apiVersion: v1\nkind: Config\ncurrent-context: work\n")
	if err := os.WriteFile(kc, before, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"kubeconfig"}, {"kubeconfig", "--merge"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, code := runCLI(t, append(args, "-i", inv)...)
			if code == exitOK {
				t.Fatalf("exit 0; stdout:\n%s", out)
			}
			want := `k3s.yaml on 127.0.0.1 has an exec credential plugin (users["default"].user.exec); k3s never writes one — refusing to copy it to your kubeconfig`
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
			if out != "" {
				t.Errorf("stdout not empty:\n%s", out)
			}
			if after, _ := os.ReadFile(kc); !bytes.Equal(after, before) {
				t.Errorf("kubeconfig changed:\n%s", after)
			}
		})
	}
}

// kubeconfigFixture starts an SSH server whose `cat` of k3s.yaml prints
// k3sYAML, and writes an inventory (one server) that reaches it, with
// $KUBECONFIG and $HOME in a temporary directory. It returns the inventory
// path and $KUBECONFIG.
func kubeconfigFixture(t *testing.T, k3sYAML []byte) (string, string) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("SSH_AUTH_SOCK", "")
	kc := filepath.Join(dir, "kube", "config")
	t.Setenv("KUBECONFIG", kc)
	if err := os.MkdirAll(filepath.Dir(kc), 0o700); err != nil {
		t.Fatal(err)
	}
	yamlFile := filepath.Join(dir, "k3s.yaml")
	writeTestFile(t, yamlFile, k3sYAML)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "test")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "id_ed25519")
	writeTestFile(t, keyFile, pem.EncodeToMemory(block))
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	realCat := "/bin/cat"
	fakeCat := fmt.Sprintf("#!/bin/sh\nfor f; do :; done\nif [ \"$f\" = /etc/rancher/k3s/k3s.yaml ]; then exec %s %s; fi\nexec %s \"$@\"\n",
		realCat, yamlFile, realCat)
	s := sshtest.Start(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()},
		Bin: map[string]string{"id": sshtest.IDScript(0), "cat": fakeCat}})
	known := filepath.Join(dir, "known_hosts")
	writeTestFile(t, known, []byte(knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, s.HostKey())+"\n"))
	inv := filepath.Join(dir, "inventory.yml")
	writeTestFile(t, inv, []byte(fmt.Sprintf(`cluster:
  name: pi-lab
ssh:
  known_hosts: %s
hosts:
  - address: %s
    port: %d
    key: %s
    role: server
`, known, s.Host(), s.Port(), keyFile)))
	return inv, kc
}

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
