package lock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Local is the lock on one inventory on this machine: flock(2) on a file the
// kernel unlocks when the process ends, however it ends.
type Local struct {
	f    *os.File
	Path string // the lock file
}

// LocalPath is the lock file of an inventory: the user's cache directory,
// k3sup-pi/locks, named after the inventory's absolute, symlink-free path.
func LocalPath(inventory string) (string, error) {
	abs, err := filepath.Abs(inventory)
	if err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("lock: no cache directory for the local lock (set $XDG_CACHE_HOME or $HOME): %w", err)
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(cache, "k3sup-pi", "locks", hex.EncodeToString(sum[:8])+".lock"), nil
}

// LockInventory takes the local lock of inventory for me, waiting up to wait
// (polling every poll, 0 = 250ms) while another process holds it; then it
// refuses with a *BusyError naming that process. warn hears about a lock
// whose holder ended without releasing it (killed).
func LockInventory(ctx context.Context, inventory string, me Holder, wait, poll time.Duration, warn func(string)) (*Local, error) {
	path, err := LocalPath(inventory)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			h, _ := readHolder(f)
			f.Close()
			return nil, &BusyError{Holders: []Busy{{Where: "inventory " + abs(inventory), Holder: h}}, Waited: wait}
		}
		if err := sleep(ctx, min(or(poll, 250*time.Millisecond), left)); err != nil {
			f.Close()
			return nil, err
		}
	}
	if prev, ok := readHolder(f); ok && warn != nil {
		warn(fmt.Sprintf("the lock of inventory %s was left by %s, which ended without releasing it (killed?); taken over", abs(inventory), prev))
	}
	if err := writeHolder(f, me); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Local{f: f, Path: path}, nil
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// readHolder reads the holder recorded in the lock file.
func readHolder(f *os.File) (Holder, bool) {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 64<<10))
	if err != nil {
		return Holder{}, false
	}
	return decodeHolder(string(b), "")
}

func writeHolder(f *os.File, h Holder) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(h.encode()), 0)
	return err
}

// Release empties the lock file (so the next run sees a clean release) and
// unlocks it. Safe to call on nil and more than once.
func (l *Local) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = l.f.Close() // closing the last descriptor drops the flock
	l.f = nil
}
