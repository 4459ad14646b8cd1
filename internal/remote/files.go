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

// writeScript replaces $1 atomically with stdin unless it already matches.
const writeScript = sameScript + `set -e
if same; then cat >/dev/null; echo unchanged; exit 0; fi
d=$(dirname "$f"); mkdir -p "$d"
t=$(mktemp "$d/.k3sup-pi.XXXXXX")
trap 'rm -f "$t"' EXIT
cat > "$t"; chmod "$mode" "$t"; chown 0:0 "$t"; mv -f "$t" "$f"
trap - EXIT
echo changed
`

func modeString(mode fs.FileMode) string { return fmt.Sprintf("%o", mode.Perm()) }

// WriteFile makes path hold data with mode, owned by root, writing as root
// (sudo when needed) through a temp file in the same directory and a
// rename. It does nothing when the checksum, mode and owner already match.
// data travels on stdin only, so it may be a secret.
func (c *Client) WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) (bool, error) {
	sum := sha256.Sum256(data)
	script := fmt.Sprintf("set -- %s %s %s\n%s", shellQuote(path), hex.EncodeToString(sum[:]), modeString(mode), writeScript)
	res, err := c.Run(ctx, Cmd{Script: script, Sudo: true, Stdin: data})
	if err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	switch strings.TrimSpace(string(res.Stdout)) {
	case "changed":
		return true, nil
	case "unchanged":
		return false, nil
	}
	return false, fmt.Errorf("%s: write %s: unexpected output %q", c.Name(), path, res.Stdout)
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
	if m == sudoNone {
		err = c.uploadAsRoot(ctx, localPath, remotePath, mode)
	} else {
		err = c.uploadStaged(ctx, localPath, remotePath, mode)
	}
	if err != nil {
		return false, fmt.Errorf("%s: upload %s: %w", c.Name(), remotePath, err)
	}
	return true, nil
}

func (c *Client) uploadAsRoot(ctx context.Context, localPath, remotePath string, mode fs.FileMode) error {
	sc, err := c.sftp(ctx)
	if err != nil {
		return err
	}
	defer sc.Close()
	dir := path.Dir(remotePath)
	if err := sc.MkdirAll(dir); err != nil {
		return fmt.Errorf("mkdir %s: %w", dir, err)
	}
	tmp := path.Join(dir, ".k3sup-pi."+randomSuffix())
	if err := sftpCopy(sc, localPath, tmp); err != nil {
		_ = sc.Remove(tmp)
		return err
	}
	if err := finishRoot(sc, tmp, remotePath, mode); err != nil {
		_ = sc.Remove(tmp)
		return err
	}
	return nil
}

// installScript installs staged file $1 as $2 (mode $3, root) atomically
// and removes the staging directory $4.
const installScript = `set -e
src=$1; f=$2; mode=$3; stage=$4
trap 'rm -rf "$stage"; rm -f "${t:-}"' EXIT
d=$(dirname "$f"); mkdir -p "$d"
t=$(mktemp "$d/.k3sup-pi.XXXXXX")
install -m "$mode" -o 0 -g 0 "$src" "$t"
mv -f "$t" "$f"; t=
`

func (c *Client) uploadStaged(ctx context.Context, localPath, remotePath string, mode fs.FileMode) error {
	res, err := c.Run(ctx, Cmd{Script: `mktemp -d "$HOME/.k3sup-pi-stage.XXXXXX"`})
	if err != nil {
		return fmt.Errorf("make staging dir: %w", err)
	}
	stage := strings.TrimSpace(string(res.Stdout))
	staged := path.Join(stage, path.Base(remotePath))
	sc, err := c.sftp(ctx)
	if err != nil {
		return err
	}
	err = sftpCopy(sc, localPath, staged)
	_ = sc.Close()
	if err != nil {
		_, _ = c.Run(ctx, Cmd{Script: "rm -rf " + shellQuote(stage)})
		return err
	}
	script := fmt.Sprintf("set -- %s %s %s %s\n%s", shellQuote(staged), shellQuote(remotePath),
		modeString(mode), shellQuote(stage), installScript)
	if _, err := c.Run(ctx, Cmd{Script: script, Sudo: true}); err != nil {
		return fmt.Errorf("install as root: %w", err)
	}
	return nil
}
