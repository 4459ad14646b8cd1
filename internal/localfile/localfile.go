// Package localfile reads the operator's own files that k3sup-pi is pointed
// at (the inventory, keys, secrets, ssh_config, known_hosts) without letting a
// wrong path hang or exhaust the process: only regular files are read, checked
// before opening and again on the opened file, each kind with a size cap, and
// reading stops when the context is cancelled.
package localfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Size caps, per kind of file. Each is far above any real file of its kind.
const (
	MaxInventory  = 4 << 20  // the inventory file
	MaxConfig     = 4 << 20  // ssh_config
	MaxKnownHosts = 16 << 20 // known_hosts
	MaxKey        = 1 << 20  // an SSH private or public key
	MaxSecret     = 64 << 10 // token_file, sudo_password_file
)

// Error says why a path is not a file k3sup-pi reads. Its message names the
// path and what it is instead; wrap it with what the file was meant to be.
type Error struct {
	Path   string
	Reason string
}

func (e *Error) Error() string { return e.Path + " " + e.Reason }

// Check reports, without opening it, whether path names a regular file (a
// symbolic link to one is fine) of at most max bytes. A missing file comes
// back as the os error, so errors.Is(err, fs.ErrNotExist) holds.
func Check(path string, max int64) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return checkInfo(path, st, max)
}

// Open opens path for reading after Check, without blocking even when a named
// pipe was put in its place since, and checks the opened file again. The
// caller closes the file.
func Open(path string, max int64) (*os.File, error) {
	if err := Check(path, max); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil {
		err = checkInfo(path, st, max)
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// Read returns the content of the regular file path, refusing anything else
// and anything over max bytes (also a file that grows past max while read).
// It stops with ctx.Err() when ctx is cancelled.
func Read(ctx context.Context, path string, max int64) ([]byte, error) {
	f, err := Open(path, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		n, err := f.Read(buf)
		out = append(out, buf[:n]...)
		if int64(len(out)) > max {
			return nil, tooLarge(path, max)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func checkInfo(path string, st fs.FileInfo, max int64) error {
	if !st.Mode().IsRegular() {
		return &Error{Path: path, Reason: "is " + kind(st.Mode()) + ", not a regular file; give the path of a file"}
	}
	if st.Size() > max {
		return tooLarge(path, max)
	}
	return nil
}

func tooLarge(path string, max int64) error {
	return &Error{Path: path, Reason: fmt.Sprintf("is larger than %s, the limit for this file; is it the right file?", size(max))}
}

// kind names a non-regular file mode in words.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}

// size prints a byte count in the largest whole unit.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
