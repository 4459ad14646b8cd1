// Package remote is k3sup-pi's SSH layer: one connection per host for the
// whole run, strict host key checking against known_hosts, ssh-agent and key
// file auth, ~/.ssh/config and ProxyJump, commands under sudo with the
// password on stdin, atomic checksum-skipping file writes and uploads, and
// reboot-and-wait. Every error and stderr it returns is redacted.
package remote

import (
	"strings"
	"time"
)

// Target is one host as the inventory describes it.
type Target struct {
	// Alias is the name the user wrote (an address or a ~/.ssh/config Host
	// alias). Host keys are looked up and recorded under the name OpenSSH
	// uses: the HostKeyAlias, else the HostName ([host]:port when the port
	// is not 22).
	Alias string
	// Port is the SSH port; 0 = from ssh_config or 22.
	Port int
	// User is the login user; "" = from ssh_config or the current user.
	User string
	// KeyFiles are explicit identity files; they replace ssh_config's.
	KeyFiles []string
	// ProxyJump is "[user@]host[:port]" (a comma-separated chain allowed);
	// "" = from ssh_config, "none" = direct.
	ProxyJump string
}

// Options are shared by every connection of a run.
type Options struct {
	// DefaultUser is the login used when neither the Target nor ssh_config
	// names one ("" = the local user, as OpenSSH does).
	DefaultUser string
	// KnownHostsFile is the known_hosts file; "" = ~/.ssh/known_hosts.
	KnownHostsFile string
	// AcceptNewHostKeys records unknown host keys, like OpenSSH's
	// StrictHostKeyChecking=accept-new. Changed keys are still refused.
	AcceptNewHostKeys bool
	// InsecureIgnoreHostKeys turns host key checking off; warned via Warn.
	InsecureIgnoreHostKeys bool
	// SSHConfigFile is the ssh_config to read; "" = ~/.ssh/config if it
	// exists, "none" = do not read any.
	SSHConfigFile string
	// ConnectTimeout bounds TCP connect plus SSH handshake; 0 = 15s.
	ConnectTimeout time.Duration
	// KeepAlive is the keep-alive interval; 0 = 15s, negative = off.
	KeepAlive time.Duration
	// Sudo is the shared source of the sudo password; nil = passwordless
	// sudo only.
	Sudo *SudoPassword
	// Passphrase asks for an encrypted key's passphrase; nil = no
	// terminal, encrypted keys fail clearly unless ssh-agent holds them.
	Passphrase func(keyFile string) ([]byte, error)
	// Warn receives warnings (insecure mode, newly recorded host keys).
	Warn func(msg string)
}

// Cmd is one remote command.
type Cmd struct {
	// Script runs via `sh -c`; it is visible in the remote process list,
	// so it must never contain a secret.
	Script string
	// Sudo runs the script as root (no-op when the user is root).
	Sudo bool
	// Stdin is fed to the script; secrets belong here.
	Stdin []byte
	// Label says in a line what runs, for errors: the argv of an Argv
	// command, the name and arguments of a Script. "" = not named.
	Label string
}

// Script is a Cmd that runs body with args as its positional parameters
// ($1, $2, ...): the arguments are quoted here, once, and travel as data
// (`set --`), never spliced into the script's text. body is usually an
// embedded .sh file.
func Script(body string, args ...string) Cmd {
	return Cmd{Script: "set -- " + ShellJoin(args) + "\n" + body, Label: strings.TrimSpace(scriptName(body) + " " + label(args))}
}

// Argv is a Cmd that runs one command, each word quoted: what a person can
// paste into a shell.
func Argv(words ...string) Cmd { return Cmd{Script: ShellJoin(words), Label: label(words)} }

// scriptName is a script's name from its header: the words after "# " up
// to the first ':' of the first line that starts "# k3sup-pi" ("k3sup-pi
// hostname"), "script" when it has none.
func scriptName(body string) string {
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, "# k3sup-pi"); ok {
			name, _, _ := strings.Cut(rest, ":")
			return "k3sup-pi" + name
		}
	}
	return "script"
}

// labelMax bounds a Label.
const labelMax = 160

// label quotes words for a Label; a word that is itself a script (it holds
// a newline) shows as its name in angle brackets.
func label(words []string) string {
	shown := make([]string, len(words))
	for i, w := range words {
		if strings.Contains(w, "\n") {
			shown[i] = "<" + scriptName(w) + ">"
		} else {
			shown[i] = ShellQuote(w)
		}
	}
	l := strings.Join(shown, " ")
	if len(l) > labelMax {
		l = l[:labelMax] + "..."
	}
	return l
}

// Root returns the command run as root.
func (c Cmd) Root() Cmd {
	c.Sudo = true
	return c
}

// Result is what a command printed and how it exited. Stderr is redacted;
// Stdout is returned as is (callers read tokens through it).
type Result struct {
	Stdout, Stderr []byte
	ExitCode       int
}

const (
	defaultConnectTimeout = 15 * time.Second
	defaultKeepAlive      = 15 * time.Second
)

func (o Options) connectTimeout() time.Duration {
	if o.ConnectTimeout <= 0 {
		return defaultConnectTimeout
	}
	return o.ConnectTimeout
}

func (o Options) keepAlive() time.Duration {
	if o.KeepAlive == 0 {
		return defaultKeepAlive
	}
	return o.KeepAlive
}

func (o Options) warn(msg string) {
	if o.Warn != nil {
		o.Warn(msg)
	}
}
