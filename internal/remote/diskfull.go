package remote

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// enospc is how the host's tools (install, cat, cp) word ENOSPC.
const enospc = "No space left on device"

// DiskFullError is a write or upload that failed because the file system
// that holds the file (or the upload's staging copy) has too little space.
// Nothing was replaced and the temp files are gone.
type DiskFullError struct {
	Host string
	Path string // the file being written
	Dir  string // the directory whose file system is full
	// Need and Avail are in bytes; Avail < 0 when unknown.
	Need, Avail int64
}

// Error says "disk full", where, on which host, and what to do.
func (e *DiskFullError) Error() string {
	msg := fmt.Sprintf("%s: disk full: %s could not be written", e.Host, e.Path)
	if e.Avail >= 0 {
		msg += fmt.Sprintf(": it needs %s and %s has %s free", mib(e.Need), e.Dir, mib(e.Avail))
	}
	return msg + fmt.Sprintf(" (%s); nothing was replaced; free space there (df -h %s) and run again", enospc, e.Dir)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// saysDiskFull reports whether a failed command said ENOSPC.
func saysDiskFull(err error) bool {
	var ee *ExitError
	return errors.As(err, &ee) && (strings.Contains(ee.Stderr, enospc) || strings.Contains(ee.Stdout, enospc))
}

// freeSpace returns the bytes available to root in each directory's file
// system (df -P), or an error when the host cannot say.
func (c *Client) freeSpace(ctx context.Context, dirs ...string) ([]int64, error) {
	q := make([]string, len(dirs))
	for i, d := range dirs {
		q[i] = shellQuote(d)
	}
	res, err := c.Run(ctx, Cmd{Script: "set -- " + strings.Join(q, " ") + "\n" + `for d; do df -Pk "$d" | awk 'NR==2 {print $4}'; done`, Sudo: true})
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(string(res.Stdout))
	if len(fields) != len(dirs) {
		return nil, fmt.Errorf("df printed %q", res.Stdout)
	}
	out := make([]int64, len(dirs))
	for i, f := range fields {
		kb, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("df printed %q", res.Stdout)
		}
		out[i] = kb * 1024
	}
	return out, nil
}

// diskFull explains a failed upload of need bytes to remotePath when the
// cause was space: the target's directory or the staging directory (for a
// staged upload) has less than need free, or a command said ENOSPC. SFTP
// reports a full disk as a bare "failure", so the free space is asked.
// It returns nil when space was not the cause, or the host cannot tell.
func (c *Client) diskFull(ctx context.Context, remotePath, staging string, need int64, cause error) *DiskFullError {
	if ctx.Err() != nil {
		return nil
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	dirs := []string{path.Dir(remotePath)}
	if staging != "" {
		dirs = append(dirs, staging)
	}
	free, err := c.freeSpace(dctx, dirs...)
	if err == nil {
		for i, d := range dirs {
			if free[i] < need {
				return &DiskFullError{Host: c.Name(), Path: remotePath, Dir: d, Need: need, Avail: free[i]}
			}
		}
	}
	if saysDiskFull(cause) {
		return &DiskFullError{Host: c.Name(), Path: remotePath, Dir: dirs[0], Need: need, Avail: -1}
	}
	return nil
}
