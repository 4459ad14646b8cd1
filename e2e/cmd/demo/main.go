// Command demo starts the local demo fleet for `make demo`: N Pi-like hosts and
// a mirror serving the stand-in k3s releases, and writes an inventory for it
// (hostnames pi-1..pi-N, downloads from the mirror). It prints the inventory
// path as its last line.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
	"github.com/k3sup-pi/k3sup-pi/e2e/standin"
)

func main() {
	name := flag.String("name", "demo", "fleet name")
	n := flag.Int("n", 4, "number of hosts")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	path, err := start(ctx, *name, *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

func start(ctx context.Context, name string, n int) (string, error) {
	f, err := fleet.Start(ctx, fleet.Options{Name: name, N: n, Mirror: true, Log: os.Stderr})
	if err != nil {
		return "", err
	}
	root := filepath.Join(f.Dir, "stage")
	if err := standin.StageMirror(ctx, root, []string{"v1.31.4+k3s1", "v1.31.5+k3s1"}, "v1.31.4+k3s1"); err != nil {
		return "", fmt.Errorf("stage the stand-in k3s releases: %w", err)
	}
	if err := f.PublishMirror(ctx, root); err != nil {
		return "", err
	}
	path := filepath.Join(f.Dir, "demo-inventory.yml")
	if err := os.WriteFile(path, []byte(inventory(f)), 0o644); err != nil {
		return "", fmt.Errorf("write inventory: %w", err)
	}
	return path, nil
}

// inventory is the demo's inventory: one server, the rest agents, each with
// its own hostname (flashed boards all share one), k3s from the mirror.
func inventory(f *fleet.Fleet) string {
	u := f.MirrorURL()
	var b strings.Builder
	fmt.Fprintf(&b, `# The demo fleet's inventory, written by e2e/cmd/demo.
cluster:
  name: %s
  label_workers: true
  kubeconfig: kubeconfig
  install:
    source: online
    script_url: %s/install.sh
    download_url: %s/k3s-io/k3s/releases
    channel_url: %s/v1-release/channels
ssh:
  user: pi
  key: %s
  known_hosts: %s
hosts:
`, f.Name, u, u, u, f.KeyPath, f.KnownHostsPath)
	for i, h := range f.Hosts {
		fmt.Fprintf(&b, "  - address: %s\n    hostname: pi-%d\n", h.Addr, i+1)
	}
	return b.String()
}
