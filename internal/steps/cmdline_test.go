package steps

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
)

// TestPatchCmdlineCutShort: stdin that ends early (nothing, or half the line)
// leaves cmdline.txt as it was, with no temp file; the old script renamed the
// truncated file into place.
func TestPatchCmdlineCutShort(t *testing.T) {
	for _, keep := range []int{0, 40} {
		root, path := fleettest.BootDir(t, fleettest.BootLine)
		n := &fleet.Node{Conn: &fleettest.Local{Root: root, Cut: func(in []byte) []byte { return in[:keep] }},
			Facts: facts.Facts{CmdlinePath: path, Cmdline: fleettest.BootLine}}
		err := patchCmdline(context.Background(), n)
		if err == nil || !strings.Contains(err.Error(), "nothing replaced") {
			t.Errorf("keep %d: err = %v, want a refusal saying nothing was replaced", keep, err)
		}
		if got := fleettest.ReadOr(path); got != fleettest.BootLine {
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
	root, path := fleettest.BootDir(t, fleettest.BootLine)
	victim := filepath.Join(root, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, path+".k3sup-pi.tmp"); err != nil {
		t.Fatal(err)
	}
	n := &fleet.Node{Conn: &fleettest.Local{Root: root}, Facts: facts.Facts{CmdlinePath: path, Cmdline: fleettest.BootLine}}
	if err := patchCmdline(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if got := fleettest.ReadOr(victim); got != "precious\n" {
		t.Errorf("victim = %q: written through the planted symlink", got)
	}
	if st, err := os.Lstat(path); err != nil || st.Mode()&fs.ModeSymlink != 0 || fleettest.ReadOr(path) != strings.TrimSuffix(fleettest.BootLine, "\n")+fleettest.CgroupFlags+"\n" {
		t.Errorf("cmdline.txt = %q (%v): want the patched line in a regular file", fleettest.ReadOr(path), err)
	}
}

// TestPatchCmdlineRecords: the patch keeps the old file as the backup and
// records what it wrote; a changed file is refused.
func TestPatchCmdlineRecords(t *testing.T) {
	root, path := fleettest.BootDir(t, fleettest.BootLine)
	patched := strings.TrimSuffix(fleettest.BootLine, "\n") + fleettest.CgroupFlags + "\n"
	n := &fleet.Node{Conn: &fleettest.Local{Root: root}, Facts: facts.Facts{CmdlinePath: path, Cmdline: fleettest.BootLine}}
	if err := patchCmdline(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if got := fleettest.ReadOr(path + hostpath.CmdlineBackupSuffix); got != fleettest.BootLine {
		t.Errorf("backup = %q", got)
	}
	want := "k3sup_pi_cmdline=1\npath=" + path + "\nsha256=" + sha256Hex(patched) + "\nadded=cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory\n"
	if got := fleettest.ReadOr(root + hostpath.CmdlineRecord); got != want {
		t.Errorf("record = %q, want %q", got, want)
	}
	stale := &fleet.Node{Conn: &fleettest.Local{Root: root}, Facts: facts.Facts{CmdlinePath: path, Cmdline: "rootwait\n"}}
	if err := patchCmdline(context.Background(), stale); err == nil || !strings.Contains(err.Error(), "changed while k3sup-pi was running") {
		t.Errorf("stale facts: err = %v", err)
	}
}
