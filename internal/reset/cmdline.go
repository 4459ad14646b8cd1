package reset

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
	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

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
	bak := path.Base(c.Path) + hostpath.CmdlineBackupSuffix
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
	return "removed " + c.Path + hostpath.CmdlineBackupSuffix
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
func restoreCmdline(ctx context.Context, n *fleet.Node, r *CmdlineRestore) error {
	leftovers := []string{r.Path + hostpath.CmdlineBackupSuffix, hostpath.CmdlineRecord}
	if !r.Changes() {
		if _, err := n.Conn.Run(ctx, remote.Argv(append([]string{"rm", "-f", "--"}, leftovers...)...).Root()); err != nil {
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

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
