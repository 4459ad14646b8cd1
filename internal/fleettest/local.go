package fleettest

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// Local is a host that runs the scripts for real, with sh on this machine:
// for tests of what a script does to files. Every absolute path below
// /var/lib/k3sup-pi in a script is moved below Root (when set); PATH, when
// set, replaces the PATH the script runs with (a stub curl first, say); Cut,
// when set, decides what the script gets on stdin (a connection whose input
// stops early).
type Local struct {
	Host  string // its name, "local" when empty
	Shell string // the shell that runs the scripts: sh when empty, or dash
	Root  string
	PATH  string
	Dir   string // the working directory of the scripts, when set
	Cut   func([]byte) []byte
}

// Name is the host's name.
func (c *Local) Name() string {
	if c.Host == "" {
		return "local"
	}
	return c.Host
}

// Run runs the script with sh; a non-zero exit is a *remote.ExitError, as
// the real client reports it.
func (c *Local) Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error) {
	script := cmd.Script
	if c.Root != "" {
		script = strings.ReplaceAll(script, "/var/lib/k3sup-pi/", c.Root+"/var/lib/k3sup-pi/")
	}
	shell := c.Shell
	if shell == "" {
		shell = "sh"
	}
	sh := exec.CommandContext(ctx, shell, "-c", script)
	if c.PATH != "" {
		sh.Env = append(os.Environ(), "PATH="+c.PATH)
	}
	sh.Dir = c.Dir
	in := cmd.Stdin
	if c.Cut != nil {
		in = c.Cut(in)
	}
	sh.Stdin = bytes.NewReader(in)
	var out, stderr bytes.Buffer
	sh.Stdout, sh.Stderr = &out, &stderr
	err := sh.Run()
	res := remote.Result{Stdout: out.Bytes(), Stderr: stderr.Bytes()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.ExitCode = ee.ExitCode()
		return res, &remote.ExitError{Host: c.Name(), Command: cmd.Label, ExitCode: res.ExitCode, Stderr: strings.TrimSpace(stderr.String())}
	}
	return res, err
}

// WriteFile is not supported.
func (c *Local) WriteFile(context.Context, string, []byte, fs.FileMode) (bool, error) {
	return false, errors.New("fleettest.Local: no WriteFile")
}

// Upload is not supported.
func (c *Local) Upload(context.Context, string, string, fs.FileMode) (bool, error) {
	return false, errors.New("fleettest.Local: no Upload")
}

// Reboot is not supported.
func (c *Local) Reboot(context.Context, time.Duration) error {
	return errors.New("fleettest.Local: no Reboot")
}

// Close does nothing.
func (c *Local) Close() error { return nil }
