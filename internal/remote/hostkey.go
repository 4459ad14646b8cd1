package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHostsMu serialises accept-new appends of parallel dials.
var knownHostsMu sync.Mutex

// knownHostsName is the known_hosts form of host and port.
func knownHostsName(host string, port int) string {
	return knownhosts.Normalize(net.JoinHostPort(host, strconv.Itoa(port)))
}

func knownHostsPath(o Options) (string, error) {
	if o.KnownHostsFile != "" {
		return o.KnownHostsFile, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find known_hosts: %w", err)
	}
	return filepath.Join(home, ".ssh", "known_hosts"), nil
}

// hostKeyChecker verifies one endpoint's host key.
type hostKeyChecker struct {
	ep     endpoint
	file   string
	accept bool
}

// load returns the known_hosts callback, or nil when the file is absent.
func (h *hostKeyChecker) load() (ssh.HostKeyCallback, error) {
	cb, err := knownhosts.New(h.file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read known_hosts: %w", err)
	}
	return cb, nil
}

// names are the host:port forms checked: the alias first, then HostName.
func (h *hostKeyChecker) names() []string {
	n := []string{net.JoinHostPort(h.ep.alias, strconv.Itoa(h.ep.port))}
	if h.ep.host != h.ep.alias {
		n = append(n, net.JoinHostPort(h.ep.host, strconv.Itoa(h.ep.port)))
	}
	return n
}

// check is the ssh.HostKeyCallback.
func (h *hostKeyChecker) check(_ string, remote net.Addr, key ssh.PublicKey) error {
	cb, err := h.load()
	if err != nil {
		return err
	}
	if cb != nil {
		for _, name := range h.names() {
			err := cb(name, remote, key)
			if err == nil {
				return nil
			}
			if hkErr := h.classify(err, key); hkErr != nil {
				return hkErr
			}
		}
	}
	if h.accept {
		return h.record(key)
	}
	return h.newError(HostKeyUnknown, key, 0)
}

// classify turns a knownhosts error into a HostKeyError; nil = unknown.
func (h *hostKeyChecker) classify(err error, key ssh.PublicKey) error {
	var rev *knownhosts.RevokedError
	if errors.As(err, &rev) {
		return h.newError(HostKeyRevoked, key, rev.Revoked.Line)
	}
	var ke *knownhosts.KeyError
	if errors.As(err, &ke) {
		if len(ke.Want) == 0 {
			return nil
		}
		return h.newError(HostKeyChanged, key, ke.Want[0].Line)
	}
	return fmt.Errorf("check host key of %s: %w", h.ep.alias, err)
}

func (h *hostKeyChecker) newError(kind HostKeyKind, key ssh.PublicKey, line int) *HostKeyError {
	return &HostKeyError{
		Kind: kind, Host: h.ep.alias, Port: h.ep.port, HostName: h.ep.host,
		KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key),
		KnownHostsFile: h.file, Line: line,
	}
}

// record appends key under the alias, re-checking under the lock so that
// a concurrent dial's record is seen.
func (h *hostKeyChecker) record(key ssh.PublicKey) error {
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	cb, err := h.load()
	if err != nil {
		return err
	}
	if cb != nil {
		name := h.names()[0]
		if err := cb(name, &net.TCPAddr{}, key); err == nil {
			return nil
		} else if hkErr := h.classify(err, key); hkErr != nil {
			return hkErr
		}
	}
	if err := os.MkdirAll(filepath.Dir(h.file), 0o700); err != nil {
		return fmt.Errorf("create known_hosts dir: %w", err)
	}
	f, err := os.OpenFile(h.file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open known_hosts: %w", err)
	}
	line := knownhosts.Line([]string{knownHostsName(h.ep.alias, h.ep.port)}, key) + "\n"
	if _, err := f.WriteString(line); err != nil {
		_ = f.Close()
		return fmt.Errorf("append to known_hosts: %w", err)
	}
	return f.Close()
}

// algorithms returns the host key algorithms known_hosts holds for the
// host, so that the server offers a key type we can verify; nil = any.
func (h *hostKeyChecker) algorithms() []string {
	cb, err := h.load()
	if err != nil || cb == nil {
		return nil
	}
	probe := probeKey()
	if probe == nil {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	for _, name := range h.names() {
		var ke *knownhosts.KeyError
		if !errors.As(cb(name, &net.TCPAddr{}, probe), &ke) {
			continue
		}
		for _, w := range ke.Want {
			for _, a := range algorithmsFor(w.Key.Type()) {
				if !seen[a] {
					seen[a] = true
					algos = append(algos, a)
				}
			}
		}
	}
	return algos
}

func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// probeKey is a throwaway key that matches no known_hosts line; checking it
// lists the keys known for a host.
var probeKey = sync.OnceValue(func() ssh.PublicKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil
	}
	return k
})
