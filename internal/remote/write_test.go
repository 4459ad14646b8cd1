package remote

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
)

// runWrite runs VerifiedWriteScript under shell with stdin, as the test user.
func runWrite(t *testing.T, shell string, spec WriteSpec, data, stdin []byte) (string, string, int) {
	t.Helper()
	cmd := exec.Command(shell, "-c", VerifiedWriteScript(spec, data))
	cmd.Stdin = strings.NewReader(string(stdin))
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func sumOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// leftovers lists the temp files in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".*k3sup-pi*"))
	return m
}

func TestVerifiedWriteScript(t *testing.T) {
	const old, neu = "console=tty1 root=PARTUUID=4e639091-02 rootwait\n", "console=tty1 root=PARTUUID=4e639091-02 rootwait cgroup_memory=1\n"
	tests := []struct {
		name     string
		spec     func(dir string) WriteSpec
		data     string // what the tool means to write
		stdin    string // what arrives
		wantCode int
		wantErr  string
		want     string // the target afterwards
	}{
		{"complete", func(string) WriteSpec { return WriteSpec{} }, neu, neu, 0, "", neu},
		{"truncated stdin", func(string) WriteSpec { return WriteSpec{} }, neu, neu[:20], 4, "received 20 of 64 bytes", old},
		{"empty stdin", func(string) WriteSpec { return WriteSpec{} }, neu, "", 4, "received 0 of 64 bytes", old},
		{"same length, other bytes", func(string) WriteSpec { return WriteSpec{} }, neu, strings.ToUpper(neu), 4, "do not match the sha256", old},
		{"empty content refused", func(string) WriteSpec { return WriteSpec{} }, "", "", 4, "refusing to write empty content", old},
		{"changed meanwhile", func(string) WriteSpec { return WriteSpec{Expect: sumOf([]byte("other\n"))} }, neu, neu, 3, "changed while k3sup-pi was running", old},
		{"expected old content", func(string) WriteSpec { return WriteSpec{Expect: sumOf([]byte(old))} }, neu, neu, 0, "", neu},
	}
	for _, shell := range []string{"sh", "dash"} {
		for _, tt := range tests {
			t.Run(shell+"/"+tt.name, func(t *testing.T) {
				dir := t.TempDir()
				p := filepath.Join(dir, "cmdline.txt")
				if err := os.WriteFile(p, []byte(old), 0o755); err != nil {
					t.Fatal(err)
				}
				spec := tt.spec(dir)
				spec.Path = p
				out, stderr, code := runWrite(t, shell, spec, []byte(tt.data), []byte(tt.stdin))
				if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
					t.Errorf("exit %d stderr %q, want exit %d with %q", code, stderr, tt.wantCode, tt.wantErr)
				}
				if code == 0 && strings.TrimSpace(out) != "changed" {
					t.Errorf("stdout %q, want changed", out)
				}
				if got, _ := os.ReadFile(p); string(got) != tt.want {
					t.Errorf("target holds %q, want %q", got, tt.want)
				}
				if st, _ := os.Stat(p); st.Mode().Perm() != 0o755 {
					t.Errorf("mode %o, want the old file's 755 kept", st.Mode().Perm())
				}
				if l := leftovers(t, dir); len(l) != 0 {
					t.Errorf("temp files left: %v", l)
				}
			})
		}
	}
}

// TestVerifiedWriteBackupRecord: the backup holds the old bytes, the record its
// text, both in place before the target changes; remove= runs after.
func TestVerifiedWriteBackupRecord(t *testing.T) {
	dir := t.TempDir()
	p, bak, rec, gone := filepath.Join(dir, "cmdline.txt"), filepath.Join(dir, "cmdline.txt.bak"), filepath.Join(dir, "state", "rec"), filepath.Join(dir, "gone")
	for f, c := range map[string]string{p: "old\n", bak: "older\n", gone: "x"} {
		if err := os.WriteFile(f, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := WriteSpec{Path: p, Backup: bak, Record: rec, RecordText: "sha256=abc\nadded=x y", Remove: []string{gone}}
	if _, stderr, code := runWrite(t, "sh", spec, []byte("new\n"), []byte("new\n")); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for f, want := range map[string]string{p: "new\n", bak: "old\n", rec: "sha256=abc\nadded=x y\n"} {
		if got, _ := os.ReadFile(f); string(got) != want {
			t.Errorf("%s holds %q, want %q", f, got, want)
		}
	}
	if _, err := os.Stat(gone); !os.IsNotExist(err) {
		t.Errorf("%s not removed: %v", gone, err)
	}
	// A cut-short write touches neither the backup nor the record.
	spec.RecordText, spec.Remove = "changed", nil
	if _, _, code := runWrite(t, "sh", spec, []byte("newer\n"), []byte("ne")); code != 4 {
		t.Fatalf("cut-short write: exit %d, want 4", code)
	}
	for f, want := range map[string]string{p: "new\n", bak: "old\n", rec: "sha256=abc\nadded=x y\n"} {
		if got, _ := os.ReadFile(f); string(got) != want {
			t.Errorf("after a cut-short write %s holds %q, want %q", f, got, want)
		}
	}
	if l := append(leftovers(t, dir), leftovers(t, filepath.Join(dir, "state"))...); len(l) != 0 {
		t.Errorf("temp files left: %v", l)
	}
}

// TestWriteFileInputCutShort: through SSH, a command whose stdin stops early
// (the server passes on only part of it) leaves the file as it was, with no
// temp file, and WriteFile fails saying how many bytes arrived.
func TestWriteFileInputCutShort(t *testing.T) {
	const secret = "token: K10secret::server:abc\n"
	for _, keep := range []int{0, 10} {
		e := newEnv(t)
		s := e.server(sshtest.Config{CutStdin: func(in []byte) []byte {
			if len(in) < len(secret) {
				return in // another command's input
			}
			return in[:len(in)-len(secret)+keep]
		}})
		e.trust(s)
		c := e.dial(target(s), e.opts())
		dir := t.TempDir()
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, []byte("token: old\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := c.WriteFile(ctxT(t), path, []byte(secret), 0o600)
		if err == nil {
			t.Fatalf("keep %d: WriteFile succeeded with a cut-short input", keep)
		}
		mustContain(t, err.Error(), "received ", " of 29 bytes", "nothing replaced", path)
		checkFile(t, path, []byte("token: old\n"), 0o600)
	}
}

// TestInstallScriptVerifies: the staged upload is installed only when its
// copy has the local file's sha256; otherwise the target stays as it was.
func TestInstallScriptVerifies(t *testing.T) {
	for _, tt := range []struct {
		name, staged string
		wantCode     int
		want         string
	}{
		{"matching copy installed", "k3s-binary", 0, "k3s-binary"},
		{"cut-short copy refused", "k3s-bin", 4, "old"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, stage := t.TempDir(), t.TempDir()
			src, dst := filepath.Join(stage, "k3s"), filepath.Join(dir, "k3s")
			for f, c := range map[string]string{src: tt.staged, dst: "old"} {
				if err := os.WriteFile(f, []byte(c), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			script := "set -- " + shellQuote(src) + " " + shellQuote(dst) + " 755 " + shellQuote(stage) + " " + sumOf([]byte("k3s-binary")) + "\n" + installScript
			cmd := exec.Command("sh", "-c", script)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			}
			if code != tt.wantCode {
				t.Errorf("exit %d (%s), want %d", code, stderr.String(), tt.wantCode)
			}
			if got, _ := os.ReadFile(dst); string(got) != tt.want {
				t.Errorf("target = %q, want %q", got, tt.want)
			}
			if l := leftovers(t, dir); len(l) != 0 {
				t.Errorf("temp files left: %v", l)
			}
		})
	}
}

// TestVerifiedWriteStaleTemp: a temp file left by a run killed outright (a
// power cut mid-write) is removed by the next write once it is stale; a fresh
// one, which may belong to a write still running, is left alone.
func TestVerifiedWriteStaleTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cmdline.txt")
	stale, fresh := filepath.Join(dir, ".cmdline.txt.k3sup-pi.AAAAAA"), filepath.Join(dir, ".cmdline.txt.k3sup-pi.BBBBBB")
	for _, f := range []string{p, stale, fresh} {
		if err := os.WriteFile(f, []byte("rootwait\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runWrite(t, "sh", WriteSpec{Path: p}, []byte("rootwait quiet\n"), []byte("rootwait quiet\n")); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if l := leftovers(t, dir); len(l) != 1 || l[0] != fresh {
		t.Errorf("temp files after the write: %v, want only the fresh %s", l, fresh)
	}
}
