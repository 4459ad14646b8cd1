package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

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

// names are the host:port forms checked; the first is OpenSSH's.
func (h *hostKeyChecker) names() []string { return lookupAddrs(h.ep) }

// check is the ssh.HostKeyCallback. A key known under a name other than
// OpenSSH's is accepted; with accept-new it is then also recorded under
// OpenSSH's name, so that ssh(1) trusts the host too.
func (h *hostKeyChecker) check(_ string, remote net.Addr, key ssh.PublicKey) error {
	cb, err := h.load()
	if err != nil {
		return err
	}
	if cb != nil {
		for i, name := range h.names() {
			err := cb(name, remote, key)
			if err == nil {
				if i > 0 && h.accept {
					return h.record(key)
				}
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
		Kind: kind, Host: h.ep.alias, Port: h.ep.port, HostName: h.ep.host, KnownName: openSSHName(h.ep),
		KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key),
		KnownHostsFile: h.file, Line: line,
	}
}

// record appends key under OpenSSH's name for the host. It re-checks under
// the lock, so a key a concurrent dial just recorded is not added twice.
func (h *hostKeyChecker) record(key ssh.PublicKey) error {
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	cb, err := h.load()
	if err != nil {
		return err
	}
	if cb != nil {
		if err := cb(h.names()[0], &net.TCPAddr{}, key); err == nil {
			return nil
		} else if hkErr := h.classify(err, key); hkErr != nil {
			return hkErr
		}
	}
	return appendKnownHost(h.file, openSSHName(h.ep), key)
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
