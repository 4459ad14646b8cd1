package kubeconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(t *testing.T, path string)
		wantBackup string // old content expected in the backup; "" for no backup
		dirMode    os.FileMode
		symlink    bool
	}{
		{"new file in a missing directory", func(*testing.T, string) {}, "", 0o700, false},
		{"replaces a world-readable file and keeps a backup", func(t *testing.T, path string) {
			mustWrite(t, path, "old config", 0o644)
		}, "old config", 0o755, false},
		{"follows a symlink", func(t *testing.T, path string) {
			target := filepath.Join(filepath.Dir(path), "real-config")
			mustWrite(t, target, "linked config", 0o600)
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}, "linked config", 0o755, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "home", ".kube", "config")
			tt.setup(t, path)
			backup, err := WriteFile(path, []byte("new config"))
			if err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			assertFile(t, path, "new config", 0o600)
			dirInfo, err := os.Stat(filepath.Dir(path))
			if err != nil {
				t.Fatal(err)
			}
			if dirInfo.Mode().Perm() != tt.dirMode {
				t.Errorf("directory mode = %v, want %v", dirInfo.Mode().Perm(), tt.dirMode)
			}
			if linfo, err := os.Lstat(path); err != nil || (linfo.Mode()&os.ModeSymlink != 0) != tt.symlink {
				t.Errorf("symlink at %s: want %v, got %v (%v)", path, tt.symlink, linfo, err)
			}
			if tt.wantBackup == "" {
				if backup != "" {
					t.Errorf("backup = %q, want none", backup)
				}
			} else {
				if !strings.Contains(filepath.Base(backup), ".bak-") {
					t.Errorf("backup name %q lacks .bak-", backup)
				}
				assertFile(t, backup, tt.wantBackup, 0o600)
			}
			entries, _ := os.ReadDir(filepath.Dir(backupOr(backup, path)))
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file left behind: %s", e.Name())
				}
			}
		})
	}
}

func TestWriteFileBackupsDoNotCollide(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		backup, err := WriteFile(path, []byte{byte('a' + i)})
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && (backup == "" || seen[backup]) {
			t.Fatalf("write %d: backup %q empty or reused", i, backup)
		}
		seen[backup] = true
	}
}

func TestWriteFileError(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	mustWrite(t, blocker, "x", 0o600)
	if _, err := WriteFile(filepath.Join(blocker, "config"), []byte("y")); err == nil || !strings.Contains(err.Error(), "write kubeconfig") {
		t.Fatalf("WriteFile under a regular file: err = %v", err)
	}
}

func backupOr(backup, path string) string {
	if backup != "" {
		return backup
	}
	return path
}

func mustWrite(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func assertFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	if info.Mode().Perm() != mode {
		t.Errorf("%s mode = %v, want %v", path, info.Mode().Perm(), mode)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != content {
		t.Errorf("%s = %q, %v; want %q", path, b, err, content)
	}
}
