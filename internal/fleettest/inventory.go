package fleettest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
)

// Inventory writes and loads an inventory of the named hosts (address and
// hostname the name; a name starting with "s" is a server, any other an
// agent) with the cluster: keys given (indented two spaces, each line ended),
// in dir.
func Inventory(t testing.TB, dir, cluster string, names ...string) *inventory.Inventory {
	t.Helper()
	var b strings.Builder
	b.WriteString("cluster:\n  name: pi-lab\n  batch_size: 2\n  concurrency: 4\n")
	if !strings.Contains(cluster, "ready_timeout:") {
		b.WriteString("  ready_timeout: 5s\n")
	}
	b.WriteString(cluster + "ssh:\n  config_file: none\nhosts:\n")
	for _, n := range names {
		role := "agent"
		if strings.HasPrefix(n, "s") {
			role = "server"
		}
		fmt.Fprintf(&b, "  - {address: %s, role: %s, hostname: %s}\n", n, role, n)
	}
	path := filepath.Join(dir, "inventory.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(path)
	if err != nil {
		t.Fatalf("inventory:\n%s\n%v", b.String(), err)
	}
	return inv
}
