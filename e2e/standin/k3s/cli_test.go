package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestCLI covers --version, the kubectl passthrough (as a subcommand and
// through a kubectl symlink) and the crictl/ctr stubs.
func TestCLI(t *testing.T) {
	c := newCluster(t)
	s := c.server("srv", nil)
	links := t.TempDir()
	for _, n := range []string{"kubectl", "crictl", "ctr"} {
		if err := os.Symlink(binary("v1.31.5+k3s1"), filepath.Join(links, n)); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name  string
		bin   string
		args  []string
		match string
	}{
		{"version", binary("v1.31.5+k3s1"), []string{"--version"}, `^k3s version v1\.31\.5\+k3s1 \([0-9a-f]{8}\)\ngo version go1\.\d+`},
		{"short version", binary("v1.31.4+k3s1"), []string{"-v"}, `^k3s version v1\.31\.4\+k3s1 `},
		{"k3s kubectl", binary("v1.31.4+k3s1"), []string{"kubectl", "get", "nodes", "-o", "name"}, `^node/srv\n$`},
		{"kubectl symlink", filepath.Join(links, "kubectl"), []string{"get", "nodes", "-o", "name"}, `^node/srv\n$`},
		{"crictl stub", filepath.Join(links, "crictl"), []string{"ps"}, `no container runtime`},
		{"ctr stub", binary("v1.31.4+k3s1"), []string{"ctr", "images", "ls"}, `no container runtime`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(tc.bin, tc.args...)
			cmd.Env = append(os.Environ(), "HOME="+c.home, "KUBECONFIG=", rootEnv+"="+s.root)
			out, err := cmd.CombinedOutput()
			if err != nil || !regexp.MustCompile(tc.match).Match(out) {
				t.Fatalf("%v: %s\nwant match %s", err, out, tc.match)
			}
		})
	}
}
