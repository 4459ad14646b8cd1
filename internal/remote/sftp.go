package remote

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/pkg/sftp"
)

// sftp opens an SFTP session on the live connection. Until stop is called,
// the end of ctx drops the whole connection: a copy blocked on a host that
// no longer answers (the network cut) then fails at the caller's deadline,
// where closing the session alone would block on the same dead connection.
func (c *Client) sftp(ctx context.Context) (sc *sftp.Client, stop func() bool, err error) {
	cn, err := c.live(ctx)
	if err != nil {
		return nil, nil, err
	}
	sc, err = sftp.NewClient(cn.client, sftp.UseConcurrentWrites(true))
	if err != nil {
		return nil, nil, fmt.Errorf("start sftp: %w", err)
	}
	return sc, context.AfterFunc(ctx, func() { c.drop(cn) }), nil
}

// sftpCopy writes the local file to remote (created with mode 0600).
func sftpCopy(sc *sftp.Client, local, remote string) error {
	in, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("open %s: %w", local, err)
	}
	defer in.Close()
	out, err := sc.OpenFile(remote, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_EXCL)
	if err != nil {
		return fmt.Errorf("create %s: %w", remote, err)
	}
	if err := sc.Chmod(remote, 0o600); err != nil {
		_ = out.Close()
		return fmt.Errorf("chmod %s: %w", remote, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return fmt.Errorf("copy to %s: %w", remote, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("close %s: %w", remote, err)
	}
	return nil
}

// finishRoot sets mode and owner of tmp and renames it over dst.
func finishRoot(sc *sftp.Client, tmp, dst string, mode fs.FileMode) error {
	if err := sc.Chmod(tmp, mode.Perm()); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := sc.Chown(tmp, 0, 0); err != nil {
		return fmt.Errorf("chown %s: %w", tmp, err)
	}
	if err := sc.PosixRename(tmp, dst); err != nil {
		return fmt.Errorf("rename %s: %w", dst, err)
	}
	return nil
}
