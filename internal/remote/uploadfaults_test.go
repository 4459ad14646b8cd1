package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
)

// dfScript is a fake df -Pk that reports availKB free for every path.
func dfScript(availKB int) string {
	return fmt.Sprintf("#!/bin/sh\necho 'Filesystem 1024-blocks Used Available Capacity Mounted on'\necho \"tmpfs 2048 1024 %d 50%% /\"\n", availKB)
}

// failingInstall is a fake install(1) that fails with msg on stderr.
func failingInstall(msg string) string {
	return "#!/bin/sh\necho \"" + msg + "\" >&2\nexit 1\n"
}

// stagedServer is a host where the login user reaches root through sudo
// (uploads are staged in its home), with fake commands first on PATH.
func (e *env) stagedServer(bin map[string]string) (*Client, *sshtest.Server) {
	e.t.Helper()
	bin["sudo"], bin["id"] = sshtest.SudoScript, sshtest.IDScript(1000)
	s := e.server(sshtest.Config{Bin: bin})
	e.trust(s)
	return e.dial(target(s), e.opts()), s
}

func TestUploadDiskFull(t *testing.T) {
	const enospcMsg = "install: error writing '/usr/local/bin/.k3sup-pi.AbCdEf': No space left on device"
	tests := []struct {
		name      string
		install   string // the fake install(1)
		availKB   int
		wantFull  bool
		wantAvail int64
	}{
		{"the target's file system has too little space", failingInstall(enospcMsg), 1024, true, 1 << 20},
		{"ENOSPC although df shows room (freed by the cleanup)", failingInstall(enospcMsg), 1 << 20, true, -1},
		{"another failure is not a full disk", failingInstall("install: cannot change ownership: Operation not permitted"), 1 << 20, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c, s := e.stagedServer(map[string]string{"install": tt.install, "df": dfScript(tt.availKB)})
			local := filepath.Join(t.TempDir(), "k3s")
			data := bytes.Repeat([]byte("k3s-binary\x00"), 300000)
			if err := os.WriteFile(local, data, 0o644); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(t.TempDir(), "usr", "local", "bin", "k3s")
			_, err := c.Upload(ctxT(t), local, dst, 0o755)
			var full *DiskFullError
			if got := errors.As(err, &full); got != tt.wantFull {
				t.Fatalf("Upload error %v: disk full = %v, want %v", err, got, tt.wantFull)
			}
			if tt.wantFull {
				if full.Dir != filepath.Dir(dst) || full.Avail != tt.wantAvail || full.Need != int64(len(data)) {
					t.Errorf("DiskFullError %+v, want dir %s, %d bytes free, %d needed", full, filepath.Dir(dst), tt.wantAvail, len(data))
				}
				mustContain(t, err.Error(), "disk full", dst, c.Name()+":", "No space left on device", "nothing was replaced")
				if n := strings.Count(err.Error(), c.Name()); n != 1 {
					t.Errorf("the error names the host %d times, want once: %v", n, err)
				}
			}
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Errorf("%s exists after a failed upload (%v)", dst, err)
			}
			if left, _ := filepath.Glob(filepath.Join(s.Home(), ".k3sup-pi-stage*")); len(left) != 0 {
				t.Errorf("staging dirs left: %v", left)
			}
		})
	}
}

// TestUploadRemovesStaleStaging: a staging directory left by an upload that
// was cut off (its partial copy inside) goes with the next upload.
func TestUploadRemovesStaleStaging(t *testing.T) {
	e := newEnv(t)
	c, s := e.stagedServer(map[string]string{})
	stale := filepath.Join(s.Home(), ".k3sup-pi-stage.Qw3rTy")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "k3s"), []byte("half a bin"), 0o600); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(s.Home(), ".k3sup-pi-stage-notes") // not one of ours
	if err := os.WriteFile(keep, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "k3s")
	data := []byte("the whole binary")
	if err := os.WriteFile(local, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "k3s")
	if _, err := c.Upload(ctxT(t), local, dst, 0o755); err != nil {
		t.Fatal(err)
	}
	checkFile(t, dst, data, 0o755)
	if left, _ := filepath.Glob(filepath.Join(s.Home(), ".k3sup-pi-stage.*")); len(left) != 0 {
		t.Errorf("staging dirs left after the next upload: %v", left)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("a file that only looks like a staging dir was removed: %v", err)
	}
}

// fullRunner is a host whose write fails as cat(1) does on a full disk.
type fullRunner struct{}

func (fullRunner) Name() string { return "pi-07" }
func (fullRunner) Run(context.Context, Cmd) (Result, error) {
	return Result{ExitCode: 1}, &ExitError{Host: "pi-07", ExitCode: 1, Stderr: "cat: write error: No space left on device"}
}

func TestVerifiedWriteDiskFull(t *testing.T) {
	_, err := VerifiedWrite(context.Background(), fullRunner{}, WriteSpec{Path: "/etc/rancher/k3s/config.yaml", Mode: 0o600}, []byte("token: x\n"))
	var full *DiskFullError
	if !errors.As(err, &full) || full.Dir != "/etc/rancher/k3s" {
		t.Fatalf("VerifiedWrite on a full disk: %v, want a DiskFullError for /etc/rancher/k3s", err)
	}
	want := "pi-07: disk full: /etc/rancher/k3s/config.yaml could not be written (No space left on device); nothing was replaced; free space there (df -h /etc/rancher/k3s) and run again"
	if err.Error() != want {
		t.Errorf("error\n  %s\nwant\n  %s", err, want)
	}
}

// TestUploadRemovesStaleTemps: temp files that an upload cut off left beside
// the target (as root over SFTP, or by the install step under sudo) go with
// the next upload; other dot files stay.
func TestUploadRemovesStaleTemps(t *testing.T) {
	for _, nonRoot := range []bool{false, true} {
		t.Run(map[bool]string{false: "root", true: "sudo"}[nonRoot], func(t *testing.T) {
			e := newEnv(t)
			c, _ := e.fileClient(nonRoot)
			dir := t.TempDir()
			for _, name := range []string{".k3sup-pi.AbC123", ".k3sup-pi.0123456789ab"} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte("half"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			other := filepath.Join(dir, ".k3sup-pi.conf-of-someone-else")
			if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			local := filepath.Join(t.TempDir(), "k3s")
			data := []byte("the whole binary")
			if err := os.WriteFile(local, data, 0o644); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, "k3s")
			if _, err := c.Upload(ctxT(t), local, dst, 0o755); err != nil {
				t.Fatal(err)
			}
			left, _ := filepath.Glob(filepath.Join(dir, ".k3sup-pi.*"))
			if len(left) != 1 || left[0] != other {
				t.Errorf("left in %s: %v, want only %s", dir, left, other)
			}
		})
	}
}
