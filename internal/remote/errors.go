package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/redact"
)

// HostKeyKind says why a host key was refused.
type HostKeyKind int

// The ways a host key check fails.
const (
	// HostKeyUnknown: no key for the host in known_hosts.
	HostKeyUnknown HostKeyKind = iota + 1
	// HostKeyChanged: known_hosts holds a different key for the host.
	HostKeyChanged
	// HostKeyRevoked: the key is marked @revoked in known_hosts.
	HostKeyRevoked
)

// String names the kind.
func (k HostKeyKind) String() string {
	switch k {
	case HostKeyUnknown:
		return "unknown"
	case HostKeyChanged:
		return "changed"
	case HostKeyRevoked:
		return "revoked"
	}
	return "invalid"
}

// HostKeyError is a refused host key. It is never retryable.
type HostKeyError struct {
	Kind           HostKeyKind
	Host           string // the alias as written
	Port           int
	HostName       string // the network address, when it differs from Host
	KnownName      string // the known_hosts name OpenSSH and k3sup-pi look up and record
	KeyType        string // e.g. ssh-ed25519
	Fingerprint    string // SHA256:...
	KnownHostsFile string
	Line           int // the offending line for Changed and Revoked
}

// Error explains the refusal and the ways forward.
func (e *HostKeyError) Error() string {
	var b strings.Builder
	switch e.Kind {
	case HostKeyChanged:
		fmt.Fprintf(&b, "host key for %s CHANGED: the %s key offered has fingerprint %s, but line %d of %s holds a different key. "+
			"Someone may be intercepting the connection, or the host was reinstalled. "+
			"Remove line %d of %s after you verified the new key out of band (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the console).",
			e.Host, e.KeyType, e.Fingerprint, e.Line, e.KnownHostsFile, e.Line, e.KnownHostsFile)
	case HostKeyRevoked:
		fmt.Fprintf(&b, "host key for %s (%s %s) is marked @revoked at line %d of %s; refusing to connect",
			e.Host, e.KeyType, e.Fingerprint, e.Line, e.KnownHostsFile)
	default:
		host, name := e.HostName, e.KnownName
		if host == "" {
			host = e.Host
		}
		if name == "" {
			name = knownHostsName(host, e.Port)
		}
		scan := host
		if name != knownHostsName(host, e.Port) { // ssh-keyscan names the line after the host it scanned
			scan = fmt.Sprintf("%s | sed 's/^[^ ]*/%s/'", host, name)
		}
		fmt.Fprintf(&b, "host key for %s is unknown: %s is not in %s; the host offered a %s key with fingerprint %s. "+
			"Check that fingerprint out of band (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the console), then either "+
			"run again with --accept-new-host-keys, or record it with: ssh-keyscan -p %d %s >> %s",
			e.Host, name, e.KnownHostsFile, e.KeyType, e.Fingerprint, e.Port, scan, e.KnownHostsFile)
	}
	return b.String()
}

// AuthError means the server accepted none of the offered credentials.
type AuthError struct {
	Host, User string
	Tried      []string // descriptions of the keys offered
	Notes      []string // why other keys could not be used
	Err        error
}

// Error names the host, user, keys tried and why others were unusable.
func (e *AuthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ssh authentication failed for %s@%s", e.User, e.Host)
	if len(e.Tried) == 0 {
		b.WriteString(": no key to offer (no ssh-agent via SSH_AUTH_SOCK and no usable key file)")
	} else {
		fmt.Fprintf(&b, ": the server accepted none of %s", strings.Join(e.Tried, ", "))
	}
	for _, n := range e.Notes {
		b.WriteString("; " + n)
	}
	return redact.String(b.String())
}

// Unwrap returns the underlying handshake error.
func (e *AuthError) Unwrap() error { return e.Err }

// ErrNoSudo means the login user may not use sudo on the host.
var ErrNoSudo = errors.New("user has no sudo rights")

// ErrSudoPassword means sudo rejected the password, or needs one and none
// was given.
var ErrSudoPassword = errors.New("sudo password rejected or missing")

// SudoError is a sudo failure on one host; it wraps ErrNoSudo or
// ErrSudoPassword.
type SudoError struct {
	Host, User string
	Err        error
	Detail     string
}

// Error names host, user and what sudo said (redacted).
func (e *SudoError) Error() string {
	return redact.String(fmt.Sprintf("sudo on %s as %s: %v: %s", e.Host, e.User, e.Err, e.Detail))
}

// Unwrap returns ErrNoSudo or ErrSudoPassword.
func (e *SudoError) Unwrap() error { return e.Err }

// ExitError is a command that exited non-zero. Both streams are kept: k3s's
// install.sh, for one, says what it was doing on stdout and only a bare
// reason ("Download failed") on stderr, or nothing at all.
type ExitError struct {
	Host     string
	Command  string // what ran (Cmd.Label), "" when not named
	ExitCode int
	Stderr   string // the last lines, redacted
	Stdout   string // the last lines, redacted
}

// Error names the host, the command, its exit code, stderr tail and stdout tail.
func (e *ExitError) Error() string {
	cmd := "command"
	if e.Command != "" {
		cmd = "`" + e.Command + "`"
	}
	msg := fmt.Sprintf("%s: %s exited with status %d", e.Host, cmd, e.ExitCode)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	if e.Stdout != "" {
		msg += "\n  its output ended with:\n    " + strings.ReplaceAll(e.Stdout, "\n", "\n    ")
	}
	return redact.String(msg)
}

// exitTailLines is how many lines of each stream an ExitError keeps.
const exitTailLines = 5

// newExitError builds the ExitError of a finished command from its output.
func newExitError(host, command string, res Result) *ExitError {
	return &ExitError{Host: host, Command: redact.String(command), ExitCode: res.ExitCode,
		Stderr: redact.String(tail(string(res.Stderr), exitTailLines)),
		Stdout: redact.String(tail(string(res.Stdout), exitTailLines))}
}

// errConnLost means the connection dropped under a running command.
var errConnLost = errors.New("connection lost")

// IsRetryable reports whether err is a transient network failure worth
// another attempt. Host key, auth, sudo and command failures are not.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var hk *HostKeyError
	var ae *AuthError
	var se *SudoError
	var ee *ExitError
	if errors.As(err, &hk) || errors.As(err, &ae) || errors.As(err, &se) || errors.As(err, &ee) ||
		errors.Is(err, ErrNoSudo) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, errConnLost) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, net.ErrClosed)
}

// IsPermanent reports whether err is one that no retry can fix, because it
// needs the user: a refused host key (changed, unknown or revoked) or
// credentials the host refused. Waits that otherwise retry until a deadline
// (a reboot) stop at once on it.
func IsPermanent(err error) bool {
	var hk *HostKeyError
	var ae *AuthError
	return errors.As(err, &hk) || errors.As(err, &ae)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
