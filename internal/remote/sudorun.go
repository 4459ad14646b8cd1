package remote

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// sudoPrefix returns the command prefix that reaches root and the password
// to put first on stdin (nil when none is needed).
func (c *Client) sudoPrefix(ctx context.Context) (string, []byte, error) {
	mode, err := c.sudoMode(ctx)
	if err != nil {
		return "", nil, err
	}
	switch mode {
	case sudoNone:
		return "", nil, nil
	case sudoNoPassword:
		return "sudo -n ", nil, nil
	}
	pw, err := c.opts.Sudo.Get()
	if err != nil {
		return "", nil, &SudoError{Host: c.Name(), User: c.ep.user, Err: ErrSudoPassword, Detail: err.Error()}
	}
	return "sudo -k -S -p '' ", pw, nil
}

func (c *Client) sudoMode(ctx context.Context) (sudoMode, error) {
	c.mu.Lock()
	mode := c.sudo
	c.mu.Unlock()
	if mode != sudoUnknown {
		return mode, nil
	}
	mode, err := c.probeSudo(ctx)
	if err != nil {
		return sudoUnknown, err
	}
	c.mu.Lock()
	c.sudo = mode
	c.mu.Unlock()
	return mode, nil
}

func (c *Client) probeSudo(ctx context.Context) (sudoMode, error) {
	uid, err := c.uid(ctx)
	if err != nil {
		return sudoUnknown, err
	}
	if uid == 0 {
		return sudoNone, nil
	}
	res, err := c.exec(ctx, "sudo -n true", nil)
	if err != nil {
		return sudoUnknown, err
	}
	if res.ExitCode == 0 {
		return sudoNoPassword, nil
	}
	if denied(string(res.Stderr)) {
		return sudoUnknown, c.sudoErr(ErrNoSudo, res.Stderr)
	}
	if c.opts.Sudo == nil {
		return sudoUnknown, &SudoError{Host: c.Name(), User: c.ep.user, Err: ErrSudoPassword,
			Detail: "sudo needs a password; give one (prompt, variable or file) or allow passwordless sudo"}
	}
	pw, err := c.opts.Sudo.Get()
	if err != nil {
		return sudoUnknown, &SudoError{Host: c.Name(), User: c.ep.user, Err: ErrSudoPassword, Detail: err.Error()}
	}
	res, err = c.exec(ctx, "sudo -k -S -p '' true", append(append([]byte(nil), pw...), '\n'))
	if err != nil {
		return sudoUnknown, err
	}
	switch {
	case res.ExitCode == 0:
		return sudoPassword, nil
	case denied(string(res.Stderr)):
		return sudoUnknown, c.sudoErr(ErrNoSudo, res.Stderr)
	default:
		return sudoUnknown, c.sudoErr(ErrSudoPassword, res.Stderr)
	}
}

func (c *Client) sudoErr(kind error, stderr []byte) error {
	return &SudoError{Host: c.Name(), User: c.ep.user, Err: kind, Detail: tail(string(stderr), 3)}
}

// denied reports whether sudo's stderr says the user may not use sudo.
func denied(stderr string) bool {
	return strings.Contains(stderr, "not in the sudoers") || strings.Contains(stderr, "is not allowed to") ||
		strings.Contains(stderr, "may not run sudo")
}

// ErrSudoStdin means sudo ran the command without reading the password from
// stdin (a PAM or sudoers set-up that does not ask), so the password would
// have become the command's data; the command refused to run.
var ErrSudoStdin = errors.New("sudo did not read the password from stdin; nothing was run. " +
	"Remove the sudo password from the inventory and environment if this user needs none, or check the host's sudoers/PAM set-up")

// stdinGuardExit and stdinGuardMsg are how a guarded script says its stdin
// did not start with the marker line.
const (
	stdinGuardExit = 97
	stdinGuardMsg  = "k3sup-pi: stdin out of step"
)

// guardStdin prefixes script with a check that the first line of its stdin is
// marker. sudo -S consumes exactly the password line, so the marker comes
// next; when sudo did not consume it, the first line is the password, and the
// script stops before it reads any data (the password never reaches a file).
// The message never echoes what was read.
func guardStdin(script, marker string) string {
	return "IFS= read -r k3sup_pi_marker || k3sup_pi_marker=\n" +
		`if [ "$k3sup_pi_marker" != ` + marker + " ]; then unset k3sup_pi_marker; echo '" + stdinGuardMsg + "; nothing done' >&2; exit " +
		strconv.Itoa(stdinGuardExit) + "; fi\nunset k3sup_pi_marker\n" + script
}

// sudoStdin is what a sudo command reads: the password line when sudo needs
// one, the marker line, then the command's own data.
func sudoStdin(pw []byte, marker string, data []byte) []byte {
	out := make([]byte, 0, len(pw)+len(marker)+len(data)+2)
	if pw != nil {
		out = append(append(out, pw...), '\n')
	}
	out = append(append(out, marker...), '\n')
	return append(out, data...)
}
