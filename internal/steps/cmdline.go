package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/cmdline"
	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

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
func patchCmdline(ctx context.Context, n *fleet.Node) error {
	path := n.Facts.CmdlinePath
	patched, changed, err := cmdline.Patch(n.Facts.Cmdline)
	if err != nil {
		return fmt.Errorf("patch %s on %s: %w", path, n.Conn.Name(), err)
	}
	if !changed {
		return nil
	}
	added := cmdline.Added(n.Facts.Cmdline)
	spec := remote.WriteSpec{Path: path, Expect: sha256Hex(n.Facts.Cmdline), Backup: path + hostpath.CmdlineBackupSuffix,
		Record: hostpath.CmdlineRecord, RecordText: cmdlineRecordText(path, patched, added)}
	if _, err := remote.VerifiedWrite(ctx, n.Conn, spec, []byte(patched)); err != nil {
		return fmt.Errorf("add cgroup flags: %w", err)
	}
	n.Facts.Cmdline = patched
	n.Note("%s: cgroup flags added (backup %s%s)", path, path, hostpath.CmdlineBackupSuffix)
	return nil
}
