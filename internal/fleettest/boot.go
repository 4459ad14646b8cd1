package fleettest

import (
	"os"
	"path/filepath"
	"testing"
)

// A cmdline.txt as Raspberry Pi OS ships it, and the flags up adds to it.
const (
	BootLine    = "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait\n"
	CgroupFlags = " cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory"
)

// SharedAddress is an inventory's hosts: two boards behind one address
// (port forwards on a router) and a third host of its own.
const SharedAddress = `hosts:
  - {address: 10.0.0.1, role: server, hostname: pi-a}
  - {address: 10.0.0.1, port: 2222, hostname: pi-b}
  - {address: 10.0.0.1, port: 2223}
  - {address: 10.0.0.9}
`

// BootDir makes root/boot/firmware/cmdline.txt holding content, in a new
// temporary root, for the cmdline.txt scripts run by Local.
func BootDir(t testing.TB, content string) (root, path string) {
	t.Helper()
	root = t.TempDir()
	dir := filepath.Join(root, "boot", "firmware")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "cmdline.txt")
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return root, path
}

// ReadOr returns the file's content, or its read error in angle brackets.
func ReadOr(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}
