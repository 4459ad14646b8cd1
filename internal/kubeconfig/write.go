package kubeconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// WriteFile writes a kubeconfig to path atomically (a temporary file in the same
// directory, then a rename) with mode 0600, creating the directory with mode 0700
// when it is missing. A symlink at path is followed, so the file it points to is
// replaced. When a file was there before, its content is first saved to
// "<path>.bak-<UTC timestamp>" (mode 0600), whose name is returned; backup is ""
// when there was nothing to keep.
func WriteFile(path string, data []byte) (backup string, err error) {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("write kubeconfig: create %s: %w", dir, err)
	}
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if backup, err = saveBackup(path, old); err != nil {
			return "", err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("write kubeconfig: read the current %s: %w", path, err)
	}
	if err := writeAtomic(path, data); err != nil {
		return backup, fmt.Errorf("write kubeconfig: %w", err)
	}
	return backup, nil
}

// saveBackup writes old beside path under a name no other backup has.
func saveBackup(path string, old []byte) (string, error) {
	stamp := time.Now().UTC().Format("20060102T150405.000000000Z")
	for i := 0; ; i++ {
		name := path + ".bak-" + stamp
		if i > 0 {
			name = fmt.Sprintf("%s-%d", name, i)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("write kubeconfig: back up %s: %w", path, err)
		}
		_, err = f.Write(old)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("write kubeconfig: back up %s to %s: %w", path, name, err)
		}
		return name, nil
	}
}

// writeAtomic replaces path with data through a temporary file and a rename.
func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create a temporary file beside %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp.Name(), path, err)
	}
	return nil
}
