package fleet

import (
	"fmt"
	"os"
	"strings"
)

// InventoryYAML renders a k3sup-pi inventory for hosts (all of f.Hosts when
// none are given) with the fleet's user, key and known_hosts; extra, if not
// empty, is appended verbatim (more top-level keys, say).
func (f *Fleet) InventoryYAML(extra string, hosts ...*Host) string {
	if len(hosts) == 0 {
		hosts = f.Hosts
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cluster:\n  name: %s\nssh:\n  user: pi\n  key: %s\n  known_hosts: %s\nhosts:\n",
		f.Name, f.KeyPath, f.KnownHostsPath)
	for _, h := range hosts {
		fmt.Fprintf(&b, "  - address: %s\n", h.Addr)
	}
	if extra != "" {
		b.WriteString(strings.TrimRight(extra, "\n") + "\n")
	}
	return b.String()
}

// writeInventory writes InventoryYAML("") to InventoryPath.
func (f *Fleet) writeInventory() error {
	if err := os.WriteFile(f.InventoryPath, []byte(f.InventoryYAML("")), 0o644); err != nil {
		return fmt.Errorf("write inventory: %w", err)
	}
	return nil
}
