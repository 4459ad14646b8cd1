package steps

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// localConn runs scripts with sh on this machine, as a host would, with every
// absolute path of /var/lib/k3sup-pi moved below root. cut, when set, decides
// what the script gets on stdin (a connection whose input stops early).
type localConn struct {
	root string
	cut  func([]byte) []byte
}

func (c *localConn) Name() string { return "pi-local" }

func (c *localConn) Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error) {
	script := strings.ReplaceAll(cmd.Script, stageDir+"/", c.root+stageDir+"/")
	sh := exec.CommandContext(ctx, "sh", "-c", script)
	in := cmd.Stdin
	if c.cut != nil {
		in = c.cut(in)
	}
	sh.Stdin = bytes.NewReader(in)
	var out, stderr bytes.Buffer
	sh.Stdout, sh.Stderr = &out, &stderr
	err := sh.Run()
	res := remote.Result{Stdout: out.Bytes(), Stderr: stderr.Bytes()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.ExitCode = ee.ExitCode()
		return res, &remote.ExitError{Host: c.Name(), ExitCode: res.ExitCode, Stderr: stderr.String()}
	}
	return res, err
}

func (c *localConn) WriteFile(context.Context, string, []byte, fs.FileMode) (bool, error) {
	return false, errors.New("not used")
}
func (c *localConn) Upload(context.Context, string, string, fs.FileMode) (bool, error) {
	return false, errors.New("not used")
}
func (c *localConn) Reboot(context.Context, time.Duration) error { return errors.New("not used") }
func (c *localConn) Close() error                                { return nil }

const (
	bootLine = "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait\n"
	cgFlags  = " cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory"
)

// bootDir makes root/boot/firmware with cmdline.txt holding content.
func bootDir(t *testing.T, content string) (root, path string) {
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

func readOr(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// TestPatchCmdlineCutShort: stdin that ends early (nothing, or half the line)
// leaves cmdline.txt as it was, with no temp file; the old script renamed the
// truncated file into place.
func TestPatchCmdlineCutShort(t *testing.T) {
	for _, keep := range []int{0, 40} {
		root, path := bootDir(t, bootLine)
		n := &Node{Conn: &localConn{root: root, cut: func(in []byte) []byte { return in[:keep] }},
			Facts: facts.Facts{CmdlinePath: path, Cmdline: bootLine}}
		err := patchCmdline(context.Background(), n)
		if err == nil || !strings.Contains(err.Error(), "nothing replaced") {
			t.Errorf("keep %d: err = %v, want a refusal saying nothing was replaced", keep, err)
		}
		if got := readOr(path); got != bootLine {
			t.Errorf("keep %d: cmdline.txt = %q, want the old line", keep, got)
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*k3sup-pi*")); len(left) != 0 {
			t.Errorf("keep %d: left behind: %v", keep, left)
		}
	}
}

// TestPatchCmdlineNoFixedTempName: a symlink planted at the old fixed temp
// name (cmdline.txt.k3sup-pi.tmp) is neither written through nor renamed over
// cmdline.txt; the old script did both.
func TestPatchCmdlineNoFixedTempName(t *testing.T) {
	root, path := bootDir(t, bootLine)
	victim := filepath.Join(root, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, path+".k3sup-pi.tmp"); err != nil {
		t.Fatal(err)
	}
	n := &Node{Conn: &localConn{root: root}, Facts: facts.Facts{CmdlinePath: path, Cmdline: bootLine}}
	if err := patchCmdline(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if got := readOr(victim); got != "precious\n" {
		t.Errorf("victim = %q: written through the planted symlink", got)
	}
	if st, err := os.Lstat(path); err != nil || st.Mode()&fs.ModeSymlink != 0 || readOr(path) != strings.TrimSuffix(bootLine, "\n")+cgFlags+"\n" {
		t.Errorf("cmdline.txt = %q (%v): want the patched line in a regular file", readOr(path), err)
	}
}

// TestPatchCmdlineRecords: the patch keeps the old file as the backup and
// records what it wrote; a changed file is refused.
func TestPatchCmdlineRecords(t *testing.T) {
	root, path := bootDir(t, bootLine)
	patched := strings.TrimSuffix(bootLine, "\n") + cgFlags + "\n"
	n := &Node{Conn: &localConn{root: root}, Facts: facts.Facts{CmdlinePath: path, Cmdline: bootLine}}
	if err := patchCmdline(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if got := readOr(path + BackupSuffix); got != bootLine {
		t.Errorf("backup = %q", got)
	}
	want := "k3sup_pi_cmdline=1\npath=" + path + "\nsha256=" + sha256Hex(patched) + "\nadded=cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory\n"
	if got := readOr(root + CmdlineRecord); got != want {
		t.Errorf("record = %q, want %q", got, want)
	}
	stale := &Node{Conn: &localConn{root: root}, Facts: facts.Facts{CmdlinePath: path, Cmdline: "rootwait\n"}}
	if err := patchCmdline(context.Background(), stale); err == nil || !strings.Contains(err.Error(), "changed while k3sup-pi was running") {
		t.Errorf("stale facts: err = %v", err)
	}
}

func TestPlanCmdlineRestore(t *testing.T) {
	const p = "/boot/firmware/cmdline.txt"
	orig := bootLine
	patched := strings.TrimSuffix(orig, "\n") + cgFlags + "\n"
	moved := strings.Replace(patched, "4e639091-02", "0b1ee1a5-02", 1)
	movedOrig := strings.Replace(orig, "4e639091-02", "0b1ee1a5-02", 1)
	rec := func(f facts.Facts, content, added string) facts.Facts {
		f.CmdlineRecordPath, f.CmdlineRecordSHA256, f.CmdlineRecordAdded = p, sha256Hex(content), added
		return f
	}
	withBak := facts.Facts{CmdlinePath: p, Cmdline: patched, CmdlineBak: true, CmdlineBackup: orig}
	userFlag := "rootwait cgroup_memory=1\n"
	userFlagPatched := "rootwait cgroup_memory=1 cgroup_enable=cpuset cgroup_enable=memory\n"
	tests := []struct {
		name       string
		f          facts.Facts
		want       string // After; "" = no restore planned
		fromBackup bool
		wantErr    string
	}{
		{"untouched since the patch: the backup, byte for byte", rec(withBak, patched, "cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory"), orig, true, ""},
		{"root moved by hand: only the flags go", rec(func() facts.Facts { f := withBak; f.Cmdline = moved; return f }(), patched,
			"cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory"), movedOrig, false, ""},
		{"user's own flag stays", rec(facts.Facts{CmdlinePath: p, Cmdline: "quiet " + userFlagPatched, CmdlineBak: true, CmdlineBackup: userFlag},
			userFlagPatched, "cgroup_enable=cpuset cgroup_enable=memory"), "quiet " + userFlag, false, ""},
		{"no record (older k3sup-pi), untouched", withBak, orig, true, ""},
		{"no record, edited: the flags the backup lacked go", func() facts.Facts { f := withBak; f.Cmdline = moved; return f }(), movedOrig, false, ""},
		{"record of another path ignored", func() facts.Facts {
			f := rec(withBak, "other", "cgroup_memory=1")
			f.CmdlineRecordPath = "/boot/cmdline.txt"
			return f
		}(), orig, true, ""},
		{"record but the backup is gone", rec(facts.Facts{CmdlinePath: p, Cmdline: moved}, patched, "cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory"),
			movedOrig, false, ""},
		{"empty backup is never restored", rec(func() facts.Facts { f := withBak; f.CmdlineBackup = ""; return f }(), patched,
			"cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory"), orig, false, ""},
		{"nothing of k3sup-pi's", facts.Facts{CmdlinePath: p, Cmdline: orig}, "", false, ""},
		{"two lines by hand", rec(func() facts.Facts { f := withBak; f.Cmdline = moved + "rootwait\n"; return f }(), patched, "cgroup_memory=1"),
			"", false, "2 non-empty lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := planCmdlineRestore(tt.f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if r != nil {
					t.Errorf("planned %+v, want nothing", r)
				}
				return
			}
			if r == nil || r.After != tt.want || r.FromBackup != tt.fromBackup || r.Before != tt.f.Cmdline {
				t.Fatalf("plan = %+v, want After %q FromBackup %v", r, tt.want, tt.fromBackup)
			}
		})
	}
}

// TestRestoreCmdline runs the restore against a directory: the new line is in
// place, the backup and the record are gone; a file changed since the plan is
// left alone.
func TestRestoreCmdline(t *testing.T) {
	patched := strings.TrimSuffix(bootLine, "\n") + cgFlags + "\n"
	root, path := bootDir(t, patched)
	n := &Node{Conn: &localConn{root: root}, Facts: facts.Facts{CmdlinePath: path, Cmdline: bootLine}}
	if err := os.WriteFile(path, []byte(bootLine), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := patchCmdline(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(patched, "4e639091-02", "0b1ee1a5-02", 1)
	if err := os.WriteFile(path, []byte(edited), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &CmdlineRestore{Path: path, Before: patched, After: bootLine, FromBackup: true}
	if err := restoreCmdline(context.Background(), n, r); err == nil || readOr(path) != edited {
		t.Fatalf("a plan made before a hand edit: err %v, file %q", err, readOr(path))
	}
	r = &CmdlineRestore{Path: path, Before: edited, After: strings.Replace(bootLine, "4e639091-02", "0b1ee1a5-02", 1)}
	if err := restoreCmdline(context.Background(), n, r); err != nil {
		t.Fatal(err)
	}
	if got := readOr(path); got != r.After {
		t.Errorf("cmdline.txt = %q, want %q", got, r.After)
	}
	for _, gone := range []string{path + BackupSuffix, root + CmdlineRecord} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s still there (%v)", gone, err)
		}
	}
}
