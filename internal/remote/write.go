package remote

import (
	"context"
	"crypto/sha256"
	_ "embed" // write.sh
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

//go:embed write.sh
var verifiedWriteSh string

// WriteSpec says how a verified write replaces a file; see write.sh.
type WriteSpec struct {
	Path string
	// Mode, when not 0, is set on the new file (owned by root) and lets the
	// write be skipped when the file already matches. 0 keeps the old file's
	// mode and chowns nothing (the boot partition is vfat).
	Mode fs.FileMode
	// Expect is the sha256 the file must still have; "" accepts any content.
	Expect string
	// Backup, when set, receives a verified copy of the old file first.
	Backup string
	// Record, when set, receives RecordText before the rename.
	Record, RecordText string
	// Remove lists files removed once the new content is in place.
	Remove []string
}

// VerifiedWriteScript returns the `sh -c` script that replaces spec.Path with
// data read from stdin: it receives data into a mktemp file beside the target,
// checks its length and sha256 (empty data is refused), and only then renames
// it. Every value is passed as data with `set --`. Run it as root with data on
// stdin; it prints "changed" or "unchanged".
func VerifiedWriteScript(spec WriteSpec, data []byte) string {
	sum := sha256.Sum256(data)
	args := []string{"path=" + spec.Path, "sha256=" + hex.EncodeToString(sum[:]), "size=" + strconv.Itoa(len(data))}
	if spec.Mode != 0 {
		args = append(args, "mode="+modeString(spec.Mode))
	}
	if spec.Expect != "" {
		args = append(args, "expect="+spec.Expect)
	}
	if spec.Backup != "" {
		args = append(args, "backup="+spec.Backup)
	}
	if spec.Record != "" {
		args = append(args, "record="+spec.Record, "record_text="+spec.RecordText)
	}
	for _, r := range spec.Remove {
		args = append(args, "remove="+r)
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return "set -- " + strings.Join(quoted, " ") + "\n" + verifiedWriteSh
}

// WriteResult reads VerifiedWriteScript's output: whether the file changed.
func WriteResult(res Result) (bool, error) {
	switch strings.TrimSpace(string(res.Stdout)) {
	case "changed":
		return true, nil
	case "unchanged":
		return false, nil
	}
	return false, fmt.Errorf("unexpected output %q", res.Stdout)
}

// ScriptRunner runs remote scripts: *Client, and the steps' connections.
type ScriptRunner interface {
	Name() string
	Run(ctx context.Context, cmd Cmd) (Result, error)
}

// VerifiedWrite runs VerifiedWriteScript on r as root with data on stdin and
// reports whether the file changed. Errors name the path and, once, the host.
func VerifiedWrite(ctx context.Context, r ScriptRunner, spec WriteSpec, data []byte) (bool, error) {
	res, err := r.Run(ctx, Cmd{Script: VerifiedWriteScript(spec, data), Sudo: true, Stdin: data})
	if saysDiskFull(err) {
		return false, &DiskFullError{Host: r.Name(), Path: spec.Path, Dir: path.Dir(spec.Path), Need: int64(len(data)), Avail: -1}
	}
	if err != nil {
		return false, fmt.Errorf("write %s: %w", spec.Path, err)
	}
	changed, err := WriteResult(res)
	if err != nil {
		return false, fmt.Errorf("%s: write %s: %w", r.Name(), spec.Path, err)
	}
	return changed, nil
}
