package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

const overrideBase = `cluster:
  k3s_version: v1.30.1+k3s1
  batch_size: 10
  concurrency: 5
  reboot_timeout: 3m
ssh:
  user: pi
hosts:
  - address: 10.0.0.1
`

func TestApplyOverrides(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFile(t, "id", testKey) // --key=id must exist (issue 9 item 16)
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   map[string]string
		flags []string
		check func(t *testing.T, inv *Inventory)
	}{
		{"nothing set keeps the file", nil, nil, func(t *testing.T, inv *Inventory) {
			expect(t, "batch", inv.Cluster.BatchSize, 10)
			expect(t, "version", inv.Cluster.K3sVersion, "v1.30.1+k3s1")
		}},
		{"env", map[string]string{"K3SUP_PI_BATCH_SIZE": "7", "K3SUP_PI_USER": "ubuntu", "K3SUP_PI_REBOOT_TIMEOUT": "20m"}, nil,
			func(t *testing.T, inv *Inventory) {
				expect(t, "batch", inv.Cluster.BatchSize, 7)
				expect(t, "user", inv.SSH.User, "ubuntu")
				expect(t, "reboot", inv.Cluster.RebootTimeout, 20*time.Minute)
			}},
		{"flag beats env", map[string]string{"K3SUP_PI_CONCURRENCY": "9"}, []string{"--concurrency=12"},
			func(t *testing.T, inv *Inventory) { expect(t, "concurrency", inv.Cluster.Concurrency, 12) }},
		{"channel flag drops file version", nil, []string{"--channel=latest"}, func(t *testing.T, inv *Inventory) {
			expect(t, "version+channel", inv.Cluster.K3sVersion+"|"+inv.Cluster.Channel, "|latest")
		}},
		{"version env", map[string]string{"K3SUP_PI_K3S_VERSION": "v1.31.4+k3s1"}, nil, func(t *testing.T, inv *Inventory) {
			expect(t, "version", inv.Cluster.K3sVersion, "v1.31.4+k3s1")
		}},
		{"paths relative to the working directory", nil, []string{"--kubeconfig=kc", "--key=id", "--known-hosts=/kh"},
			func(t *testing.T, inv *Inventory) {
				expect(t, "kubeconfig", inv.Cluster.Kubeconfig, filepath.Join(cwd, "kc"))
				expect(t, "key", inv.SSH.Key, filepath.Join(cwd, "id"))
				expect(t, "known hosts", inv.SSH.KnownHosts, "/kh")
			}},
		{"install source", map[string]string{"K3SUP_PI_INSTALL_SOURCE": "online"}, nil, func(t *testing.T, inv *Inventory) {
			expect(t, "source", inv.Cluster.Install.Source, "online")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := runOverrides(t, tt.env, tt.flags)
			if err != nil {
				t.Fatalf("unexpected error:\n%v", err)
			}
			tt.check(t, inv)
		})
	}
}

func TestApplyOverridesInvalid(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		flags []string
		want  []string
	}{
		{"batch size zero", map[string]string{"K3SUP_PI_BATCH_SIZE": "0"}, nil,
			[]string{"cluster.batch_size: is 0; it counts agents joined per batch and must be 1 or more (set by --batch-size or $K3SUP_PI_BATCH_SIZE)"}},
		{"not a number", nil, []string{"--concurrency=lots"}, []string{`cluster.concurrency: "lots" is not a whole number (set by --concurrency`}},
		{"bad duration", nil, []string{"--reboot-timeout=5"}, []string{`cluster.reboot_timeout: "5" is not a duration`}},
		{"bad version", nil, []string{"--k3s-version=1.31"}, []string{"cluster.k3s_version: \"1.31\" is a minor line"}},
		{"offline without bundle", nil, []string{"--install-source=offline"}, []string{"cluster.install.source: is offline but"}},
		{"bad source", map[string]string{"K3SUP_PI_INSTALL_SOURCE": "usb"}, nil, []string{`"usb" is not an install source`}},
		{"empty user", nil, []string{"--user="}, []string{`ssh.user: "" is not a user name`}},
		{"two at once", nil, []string{"--batch-size=-1", "--concurrency=0"}, []string{"cluster.batch_size", "cluster.concurrency"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runOverrides(t, tt.env, tt.flags)
			wantProblems(t, err, tt.want...)
			if !strings.HasPrefix(err.Error(), "inv.yml: ") {
				t.Errorf("override problems carry no line: %s", err)
			}
		})
	}
}

func runOverrides(t *testing.T, env map[string]string, flags []string) (*Inventory, error) {
	t.Helper()
	for _, name := range []string{"K3S_VERSION", "CHANNEL", "BATCH_SIZE", "KUBECONFIG", "CONCURRENCY",
		"USER", "KEY", "KNOWN_HOSTS", "INSTALL_SOURCE", "REBOOT_TIMEOUT"} {
		t.Setenv("K3SUP_PI_"+name, "")
		os.Unsetenv("K3SUP_PI_" + name)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	inv, err := Parse("inv.yml", []byte(overrideBase))
	if err != nil {
		t.Fatal(err)
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse(flags); err != nil {
		t.Fatal(err)
	}
	v := NewViper()
	if err := BindFlags(v, fs); err != nil {
		t.Fatal(err)
	}
	return inv, ApplyOverrides(inv, v)
}
