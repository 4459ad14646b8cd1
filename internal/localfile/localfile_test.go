package localfile

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "inv.yml")
	if err := os.WriteFile(regular, []byte("hosts: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yml")
	if err := os.Symlink(regular, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxInventory+1); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       string // "" = the content is read
		notExist   bool
	}{
		{"regular file", regular, "", false},
		{"symlink to a regular file", link, "", false},
		{"named pipe", fifo, "is a named pipe (FIFO), not a regular file", false},
		{"endless device", "/dev/zero", "is a character device, not a regular file", false},
		{"directory", dir, "is a directory, not a regular file", false},
		{"too large", big, "is larger than 4 MiB, the limit for this file", false},
		{"missing", filepath.Join(dir, "nope"), "no such file", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := readWithin(t, tt.path)
			if tt.want == "" {
				if err != nil || string(data) != "hosts: []\n" {
					t.Fatalf("Read = %q, %v", data, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read error = %v, want it to contain %q", err, tt.want)
			}
			if errors.Is(err, fs.ErrNotExist) != tt.notExist {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v, want %v", !tt.notExist, tt.notExist)
			}
		})
	}
}

// readWithin reads path with the inventory cap and fails the test when the
// read does not return within a few seconds (a FIFO would block for ever).
func readWithin(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := Read(context.Background(), path, MaxInventory)
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-time.After(10 * time.Second):
		t.Fatalf("Read(%s) did not return", path)
		return nil, nil
	}
}

func TestReadCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, path, MaxSecret); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestOpenRefusesWhatCheckRefuses(t *testing.T) {
	f, err := Open("/dev/zero", MaxKey)
	if err == nil {
		_ = f.Close()
		t.Fatal("Open(/dev/zero) succeeded")
	}
	var le *Error
	if !errors.As(err, &le) || le.Path != "/dev/zero" {
		t.Fatalf("Open error = %#v, want *Error for /dev/zero", err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{MaxInventory: "4 MiB", MaxSecret: "64 KiB", 1000: "1000 bytes", 1536: "1536 bytes"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}
