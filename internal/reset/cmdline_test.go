package reset

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
)

func TestPlanCmdlineRestore(t *testing.T) {
	const p = "/boot/firmware/cmdline.txt"
	orig := fleettest.BootLine
	patched := strings.TrimSuffix(orig, "\n") + fleettest.CgroupFlags + "\n"
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
	patched := strings.TrimSuffix(fleettest.BootLine, "\n") + fleettest.CgroupFlags + "\n"
	root, path := fleettest.BootDir(t, patched)
	n := &fleet.Node{Conn: &fleettest.Local{Root: root}, Facts: facts.Facts{CmdlinePath: path, Cmdline: patched}}
	// what up left: the backup, and its record
	if err := os.WriteFile(path+hostpath.CmdlineBackupSuffix, []byte(fleettest.BootLine), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(root+hostpath.StageDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(root+hostpath.CmdlineRecord, []byte("k3sup_pi_cmdline=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(patched, "4e639091-02", "0b1ee1a5-02", 1)
	if err := os.WriteFile(path, []byte(edited), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &CmdlineRestore{Path: path, Before: patched, After: fleettest.BootLine, FromBackup: true}
	if err := restoreCmdline(context.Background(), n, r); err == nil || fleettest.ReadOr(path) != edited {
		t.Fatalf("a plan made before a hand edit: err %v, file %q", err, fleettest.ReadOr(path))
	}
	r = &CmdlineRestore{Path: path, Before: edited, After: strings.Replace(fleettest.BootLine, "4e639091-02", "0b1ee1a5-02", 1)}
	if err := restoreCmdline(context.Background(), n, r); err != nil {
		t.Fatal(err)
	}
	if got := fleettest.ReadOr(path); got != r.After {
		t.Errorf("cmdline.txt = %q, want %q", got, r.After)
	}
	for _, gone := range []string{path + hostpath.CmdlineBackupSuffix, root + hostpath.CmdlineRecord} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s still there (%v)", gone, err)
		}
	}
}
