package remote

import (
	"context"
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

// CheckSudo finds out once per connection how to become root, and proves it
// works: root needs nothing, passwordless sudo is tried with `sudo -n true`,
// otherwise the password is checked with `sudo -k -S true`. The error is a
// *SudoError naming host and user.
func (c *Client) CheckSudo(ctx context.Context) error {
	_, err := c.sudoMode(ctx)
	return err
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
