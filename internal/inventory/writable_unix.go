//go:build unix

package inventory

import "syscall"

// writable reports whether this process may create files in dir.
func writable(dir string) bool {
	const wOK = 0x2 // W_OK of access(2)
	return syscall.Access(dir, wOK) == nil
}
