package fleettest

import (
	"os"
	"path/filepath"
	"testing"
)

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
