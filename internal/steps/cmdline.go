package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/cmdline"
	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// BackupSuffix is appended to cmdline.txt for the copy k3sup-pi keeps of the
// file as it was before k3sup-pi's last write; `reset --restore-cmdline` puts
// it back when the file is still what k3sup-pi wrote.
const BackupSuffix = ".k3sup-pi.bak"

// CmdlineRecord is where k3sup-pi records, on the root file system, what it
// last wrote to cmdline.txt: the path, the sha256 of the content and the flags
// it added. The facts script reads it back.
const CmdlineRecord = stageDir + "/cmdline.record"

// cmdlineRecord is CmdlineRecord; tests running the write script against a
// temporary directory point it there.
var cmdlineRecord = CmdlineRecord

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// cmdlineRecordText is the record of a write of content to path adding added.
func cmdlineRecordText(path, content string, added []string) string {
	return "k3sup_pi_cmdline=1\npath=" + path + "\nsha256=" + sha256Hex(content) + "\nadded=" + strings.Join(added, " ")
}

// patchCmdline adds the cgroup flags to cmdline.txt with the verified write:
// it refuses when the file changed since the facts were read (a concurrent edit
// is never lost), receives the new line into a mktemp file beside it, checks
// its length and sha256, copies the current file to the backup, records what
// it writes, syncs and renames. No chmod or chown of the boot partition's own
// files: on a Pi it is vfat, which refuses them.
func patchCmdline(ctx context.Context, n *Node) error {
	path := n.Facts.CmdlinePath
	patched, changed, err := cmdline.Patch(n.Facts.Cmdline)
	if err != nil {
		return fmt.Errorf("patch %s on %s: %w", path, n.Conn.Name(), err)
	}
	if !changed {
		return nil
	}
	added := cmdline.Added(n.Facts.Cmdline)
	spec := remote.WriteSpec{Path: path, Expect: sha256Hex(n.Facts.Cmdline), Backup: path + BackupSuffix,
		Record: cmdlineRecord, RecordText: cmdlineRecordText(path, patched, added)}
	if _, err := remote.VerifiedWrite(ctx, n.Conn, spec, []byte(patched)); err != nil {
		return fmt.Errorf("add cgroup flags: %w", err)
	}
	n.Facts.Cmdline = patched
	n.note("%s: cgroup flags added (backup %s%s)", path, path, BackupSuffix)
	return nil
}

// CmdlineRestore is what `reset --restore-cmdline` does to one cmdline.txt.
type CmdlineRestore struct {
	Path   string
	Before string // the file now
	After  string // what it becomes; == Before when none of k3sup-pi's flags is left
	// FromBackup: the file is still exactly what k3sup-pi wrote, so the backup
	// goes back byte for byte. Otherwise Removed are taken out of the line and
	// every other byte (hand edits such as a new root=PARTUUID=) stays.
	FromBackup bool
	Removed    []string
}

// Changes reports whether the file's content changes (and the host must reboot).
func (c *CmdlineRestore) Changes() bool { return c != nil && c.After != c.Before }

// Action says in words what the restore does.
func (c *CmdlineRestore) Action() string {
	bak := path.Base(c.Path) + BackupSuffix
	switch {
	case c.FromBackup:
		return "restore " + c.Path + " from " + bak + " (unchanged since k3sup-pi wrote it)"
	case c.Changes():
		return "remove " + strings.Join(c.Removed, " ") + " from " + c.Path + " (edited since k3sup-pi wrote it: the rest is kept)"
	}
	return "remove " + bak + " (" + c.Path + " has none of k3sup-pi's flags)"
}

// Done says in words what the restore did.
func (c *CmdlineRestore) Done() string {
	switch {
	case c.FromBackup:
		return "restored " + c.Path + " from its backup"
	case c.Changes():
		return "removed " + strings.Join(c.Removed, " ") + " from " + c.Path
	}
	return "removed " + c.Path + BackupSuffix
}

// planCmdlineRestore decides how to undo k3sup-pi's edit of cmdline.txt: nil
// when k3sup-pi left neither a backup nor a record there.
//
// What k3sup-pi wrote is known from its record, or for a backup without one
// (an older k3sup-pi, or a record removed since), is what Patch makes of the
// backup. The backup goes back only when the file is still exactly that;
// otherwise only the flags k3sup-pi added are removed (cmdline.Unpatch).
func planCmdlineRestore(f facts.Facts) (*CmdlineRestore, error) {
	recorded := f.CmdlineRecordPath != "" && f.CmdlineRecordPath == f.CmdlinePath && f.CmdlineRecordSHA256 != ""
	if f.CmdlinePath == "" || !recorded && !f.CmdlineBak {
		return nil, nil
	}
	backupOK := f.CmdlineBak && strings.TrimSpace(f.CmdlineBackup) != ""
	var wrote string
	var added []string
	switch {
	case recorded:
		wrote, added = f.CmdlineRecordSHA256, strings.Fields(f.CmdlineRecordAdded)
	case backupOK:
		if patched, changed, err := cmdline.Patch(f.CmdlineBackup); err == nil && changed {
			wrote = sha256Hex(patched)
		}
		added = cmdline.Added(f.CmdlineBackup)
	}
	r := &CmdlineRestore{Path: f.CmdlinePath, Before: f.Cmdline}
	if backupOK && wrote == sha256Hex(f.Cmdline) {
		r.After, r.FromBackup = f.CmdlineBackup, true
		return r, nil
	}
	after, _, err := cmdline.Unpatch(f.Cmdline, added)
	if err != nil {
		return nil, fmt.Errorf("%s was edited since k3sup-pi wrote it and k3sup-pi's flags cannot be taken out: %w", f.CmdlinePath, err)
	}
	r.After = after
	for _, a := range added {
		if slices.Contains(strings.Fields(f.Cmdline), a) {
			r.Removed = append(r.Removed, a)
		}
	}
	return r, nil
}

// restoreCmdline applies r with the verified write (the file must still be
// r.Before), then removes the backup and the record.
func restoreCmdline(ctx context.Context, n *Node, r *CmdlineRestore) error {
	leftovers := []string{r.Path + BackupSuffix, cmdlineRecord}
	if !r.Changes() {
		script := "rm -f -- " + remote.ShellQuote(leftovers[0]) + " " + remote.ShellQuote(leftovers[1])
		if _, err := n.Conn.Run(ctx, remote.Cmd{Script: script, Sudo: true}); err != nil {
			return fmt.Errorf("remove the cmdline.txt backup: %w", err)
		}
		return nil
	}
	spec := remote.WriteSpec{Path: r.Path, Expect: sha256Hex(r.Before), Remove: leftovers}
	if _, err := remote.VerifiedWrite(ctx, n.Conn, spec, []byte(r.After)); err != nil {
		return fmt.Errorf("restore cmdline.txt: %w", err)
	}
	return nil
}
