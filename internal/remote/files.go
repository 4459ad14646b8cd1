package remote

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// sameScript prints "same" when the file at $1 has sha256 $2, mode $3 and
// owner root; the remaining text of a caller's script follows it.
const sameScript = `f=$1; want=$2; mode=$3
same() { [ -f "$f" ] && [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$want" ] && [ "$(stat -c %a:%u:%g "$f")" = "$mode:0:0" ]; }
`

func modeString(mode fs.FileMode) string { return fmt.Sprintf("%o", mode.Perm()) }

// WriteFile makes path hold data with mode, owned by root, writing as root
// (sudo when needed) with VerifiedWriteScript: through a temp file in the same
// directory, checked against data's length and sha256, then renamed. It does
// nothing when the checksum, mode and owner already match. data travels on
// stdin only, so it may be a secret; empty data is refused.
func (c *Client) WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) (bool, error) {
	return VerifiedWrite(ctx, c, WriteSpec{Path: path, Mode: mode}, data)
}

// FileSHA256 returns the hex sha256 of a local file, as sha256sum prints it.
func FileSHA256(localPath string) (string, error) {
	f, err := os.Open(localPath)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", localPath, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", localPath, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// remoteSame reports whether remotePath already has sum, mode and owner root.
func (c *Client) remoteSame(ctx context.Context, remotePath, sum string, mode fs.FileMode) (bool, error) {
	script := fmt.Sprintf("set -- %s %s %s\n%sif same; then echo same; fi", shellQuote(remotePath), sum, modeString(mode), sameScript)
	res, err := c.Run(ctx, Cmd{Script: script, Sudo: true})
	if err != nil {
		return false, fmt.Errorf("checksum %s: %w", remotePath, err)
	}
	return strings.TrimSpace(string(res.Stdout)) == "same", nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Upload copies localPath to remotePath over SFTP: root writes a temp file
// in the target directory and renames it; other users stage in a private
// directory in their home and install it as root via sudo. It does nothing
// when the checksum, mode and owner already match.
func (c *Client) Upload(ctx context.Context, localPath, remotePath string, mode fs.FileMode) (bool, error) {
	sum, err := FileSHA256(localPath)
	if err != nil {
		return false, err
	}
	same, err := c.remoteSame(ctx, remotePath, sum, mode)
	if err != nil || same {
		return false, err
	}
	m, err := c.sudoMode(ctx)
	if err != nil {
		return false, err
	}
	staging := ""
	if m == sudoNone {
		err = c.uploadAsRoot(ctx, localPath, remotePath, sum, mode)
	} else {
		staging, err = c.uploadStaged(ctx, localPath, remotePath, sum, mode)
	}
	if err != nil {
		return false, c.uploadError(ctx, localPath, remotePath, staging, err)
	}
	return true, nil
}

// uploadError words a failed upload: a full disk as a *DiskFullError, a
// connection cut or too slow for the caller's deadline as such.
func (c *Client) uploadError(ctx context.Context, localPath, remotePath, staging string, err error) error {
	if st, serr := os.Stat(localPath); serr == nil {
		if full := c.diskFull(ctx, remotePath, staging, st.Size(), err); full != nil {
			return full
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: upload %s did not finish in time, the connection stalled or dropped (%w): nothing replaced", c.Name(), remotePath, ctx.Err())
	}
	return fmt.Errorf("%s: upload %s: %w", c.Name(), remotePath, err)
}

func (c *Client) uploadAsRoot(ctx context.Context, localPath, remotePath, sum string, mode fs.FileMode) error {
	sc, stop, err := c.sftp(ctx)
	if err != nil {
		return err
	}
	defer sc.Close()
	defer stop()
	dir := path.Dir(remotePath)
	if err := sc.MkdirAll(dir); err != nil {
		return fmt.Errorf("mkdir %s: %w", dir, err)
	}
	if _, err := c.Run(ctx, Cmd{Script: "set -- " + shellQuote(dir) + "\n" + removeStaleTemps}); err != nil {
		return fmt.Errorf("remove stale temp files: %w", err)
	}
	tmp := path.Join(dir, ".k3sup-pi."+randomSuffix())
	if err := sftpCopy(sc, localPath, tmp); err != nil {
		_ = sc.Remove(tmp)
		return err
	}
	if err := c.checkRemoteSum(ctx, tmp, sum); err != nil {
		_ = sc.Remove(tmp)
		return err
	}
	if err := finishRoot(sc, tmp, remotePath, mode); err != nil {
		_ = sc.Remove(tmp)
		return err
	}
	return nil
}

// checkRemoteSum fails unless the remote file has sha256 sum.
func (c *Client) checkRemoteSum(ctx context.Context, remotePath, sum string) error {
	res, err := c.Run(ctx, Cmd{Script: "sha256sum < " + shellQuote(remotePath) + " | cut -d' ' -f1"})
	if err != nil {
		return fmt.Errorf("checksum %s: %w", remotePath, err)
	}
	if got := strings.TrimSpace(string(res.Stdout)); got != sum {
		return fmt.Errorf("the uploaded copy %s has sha256 %s, want %s (upload cut short?): nothing replaced", remotePath, got, sum)
	}
	return nil
}

// removeStaleTemps removes, in directory $1, the temp files of uploads that
// were cut off before they could remove their own (the connection dropped,
// the run killed): the run holds the host's lock, so none is in use.
const removeStaleTemps = `rm -f -- "$1"/.k3sup-pi.?????? "$1"/.k3sup-pi.????????????`

// installScript installs staged file $1 as $2 (mode $3, root) atomically
// once the copy has sha256 $5, and removes the staging directory $4. A hang
// up (the connection cut) still runs the clean-up.
const installScript = `set -e
src=$1; f=$2; mode=$3; stage=$4; sum=$5
trap 'rm -rf "$stage"; rm -f "${t:-}"' EXIT
trap 'exit 1' HUP INT TERM PIPE
d=$(dirname "$f"); mkdir -p "$d"
set -- "$d"
` + removeStaleTemps + `
t=$(mktemp "$d/.k3sup-pi.XXXXXX")
install -m "$mode" -o 0 -g 0 "$src" "$t"
if [ "$(sha256sum < "$t" | cut -d' ' -f1)" != "$sum" ]; then
  echo "$f: the uploaded copy does not match the local file's sha256 (upload cut short?): nothing replaced" >&2; exit 4
fi
mv -f "$t" "$f"; t=
`

// stageScript makes the private staging directory of an upload in the
// user's home and prints its path. Staging directories left by an upload
// that was cut off (the connection dropped, the run killed) are removed
// first: the run holds the host's lock, so no other run is uploading. Even
// without it, an upload installs nothing unless its staged copy matches
// the local file's sha256: a copy removed under a live upload fails that
// upload, it never installs a partial file.
const stageScript = `rm -rf "$HOME"/.k3sup-pi-stage.?????? 2>/dev/null; mktemp -d "$HOME/.k3sup-pi-stage.XXXXXX"`

// uploadStaged copies the file into a staging directory as the login user
// and installs it as root; it returns the staging directory's parent (for
// the free space check of a failed upload), "" when none was made.
func (c *Client) uploadStaged(ctx context.Context, localPath, remotePath, sum string, mode fs.FileMode) (string, error) {
	res, err := c.Run(ctx, Cmd{Script: stageScript})
	if err != nil {
		return "", fmt.Errorf("make staging dir: %w", err)
	}
	stage := strings.TrimSpace(string(res.Stdout))
	staged := path.Join(stage, path.Base(remotePath))
	sc, stop, err := c.sftp(ctx)
	if err != nil {
		return path.Dir(stage), err
	}
	err = sftpCopy(sc, localPath, staged)
	stop()
	_ = sc.Close()
	if err != nil {
		_, _ = c.Run(ctx, Cmd{Script: "rm -rf " + shellQuote(stage)}) // else the next upload removes it
		return path.Dir(stage), err
	}
	script := fmt.Sprintf("set -- %s %s %s %s %s\n%s", shellQuote(staged), shellQuote(remotePath),
		modeString(mode), shellQuote(stage), sum, installScript)
	if _, err := c.Run(ctx, Cmd{Script: script, Sudo: true}); err != nil {
		return path.Dir(stage), fmt.Errorf("install as root: %w", err)
	}
	return path.Dir(stage), nil
}
