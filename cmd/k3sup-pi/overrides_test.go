package main

import (
	"maps"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/spf13/pflag"
)

// TestOverridesFromFlagsAndEnv: a given flag beats its variable, an empty
// variable counts as unset, an empty flag does not, and a command without
// the flags still reads the environment.
func TestOverridesFromFlagsAndEnv(t *testing.T) {
	origin := func(flag string) string { return "--" + flag + " or $" + envName(flag) }
	tests := []struct {
		name    string
		env     map[string]string
		flags   []string // nil: no flag set (a command without override flags)
		want    map[inventory.Key]string
		origins bool
	}{
		{"nothing", nil, []string{}, map[inventory.Key]string{}, false},
		{"env", map[string]string{"K3SUP_PI_BATCH_SIZE": "7", "K3SUP_PI_USER": "ubuntu", "K3SUP_PI_REBOOT_TIMEOUT": "20m"}, []string{},
			map[inventory.Key]string{inventory.KeyBatchSize: "7", inventory.KeyUser: "ubuntu", inventory.KeyRebootTimeout: "20m"}, true},
		{"flag beats env", map[string]string{"K3SUP_PI_CONCURRENCY": "9"}, []string{"--concurrency=12"},
			map[inventory.Key]string{inventory.KeyConcurrency: "12"}, true},
		{"empty env is unset", map[string]string{"K3SUP_PI_CHANNEL": ""}, []string{}, map[inventory.Key]string{}, false},
		{"empty flag is set", nil, []string{"--user="}, map[inventory.Key]string{inventory.KeyUser: ""}, false},
		{"every flag", nil, []string{"--k3s-version=v1", "--channel=c", "--batch-size=1", "--kubeconfig=k", "--concurrency=2",
			"--user=u", "--key=id", "--known-hosts=kh", "--install-source=online", "--reboot-timeout=1m"},
			map[inventory.Key]string{inventory.KeyK3sVersion: "v1", inventory.KeyChannel: "c", inventory.KeyBatchSize: "1",
				inventory.KeyKubeconfig: "k", inventory.KeyConcurrency: "2", inventory.KeyUser: "u", inventory.KeySSHKey: "id",
				inventory.KeyKnownHosts: "kh", inventory.KeyInstallSource: "online", inventory.KeyRebootTimeout: "1m"}, false},
		{"env without flags", map[string]string{"K3SUP_PI_KEY": "id", "K3SUP_PI_INSTALL_SOURCE": "offline"}, nil,
			map[inventory.Key]string{inventory.KeySSHKey: "id", inventory.KeyInstallSource: "offline"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			var fs *pflag.FlagSet
			if tt.flags != nil {
				fs = pflag.NewFlagSet("test", pflag.ContinueOnError)
				addOverrideFlags(fs)
				if err := fs.Parse(tt.flags); err != nil {
					t.Fatal(err)
				}
			}
			o := overrides(fs, env)
			got := map[inventory.Key]string{}
			for k, v := range o {
				got[k] = v.Text
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("overrides = %v, want %v", got, tt.want)
			}
			if tt.origins {
				for _, f := range overrideFlags {
					if v, ok := o[f.key]; ok && v.Origin != origin(f.name) {
						t.Errorf("%s origin = %q, want %q", f.key, v.Origin, origin(f.name))
					}
				}
			}
		})
	}
}

// TestOverrideProblemsNameFlagAndVariable: a bad override fails the command
// with exit 2, naming the key, the flag and the variable, before any host is
// dialled.
func TestOverrideProblemsNameFlagAndVariable(t *testing.T) {
	inv := writeInventory(t, "hosts:\n  - address: 10.0.0.1\n")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"flag", nil, []string{"up", "--batch-size=0"},
			"inventory.yml: cluster.batch_size: is 0; it counts agents joined per batch and must be 1 or more (set by --batch-size or $K3SUP_PI_BATCH_SIZE)"},
		{"env", map[string]string{"K3SUP_PI_REBOOT_TIMEOUT": "5"}, []string{"doctor"},
			`cluster.reboot_timeout: "5" is not a duration; write it with a unit, like 10m or 90s (set by --reboot-timeout or $K3SUP_PI_REBOOT_TIMEOUT)`},
		{"env, command without the flags", map[string]string{"K3SUP_PI_INSTALL_SOURCE": "usb"}, []string{"reset", "--yes"},
			`"usb" is not an install source`},
		{"version", nil, []string{"doctor", "--k3s-version", "1.31"}, `cluster.k3s_version: "1.31" is a minor line`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			io := newTestIO("", false)
			code := runWith(t, io, nil, append(tt.args, "-i", inv)...)
			if code != exitBadInput || !strings.Contains(io.err.String(), tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, exitBadInput, tt.want, io.err)
			}
		})
	}
}

// TestInventoryFromEnvironment: without -i, $K3SUP_PI_INVENTORY names the
// inventory; -i wins over it.
func TestInventoryFromEnvironment(t *testing.T) {
	bad := writeInventory(t, "cluster:\n  batch_size: 0\nhosts:\n  - address: 10.0.0.1\n")
	t.Setenv("K3SUP_PI_INVENTORY", bad)
	io := newTestIO("", false)
	if code := runWith(t, io, nil, "up", "--dry-run"); code != exitBadInput || !strings.Contains(io.err.String(), bad+":2:") {
		t.Errorf("exit %d, want %d naming %s:\n%s", code, exitBadInput, bad, io.err)
	}
	io = newTestIO("", false)
	if code := runWith(t, io, nil, "up", "--dry-run", "-i", "/nonexistent/inventory.yml"); code != exitBadInput ||
		!strings.Contains(io.err.String(), "/nonexistent/inventory.yml") {
		t.Errorf("exit %d, want %d naming the -i file:\n%s", code, exitBadInput, io.err)
	}
}
