package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/k3sup-pi/k3sup-pi/internal/localfile"
	"github.com/k3sup-pi/k3sup-pi/internal/redact"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// keyCache holds parsed (and decrypted) key files for the whole run, so a
// passphrase is asked once however many hosts use the key. The mutex also
// keeps parallel dials from prompting at the same time.
var keyCache = struct {
	sync.Mutex
	signers map[string]ssh.Signer
}{signers: map[string]ssh.Signer{}}

// credentials are the signers offered to one host, with notes on keys that
// could not be used.
type credentials struct {
	signers []ssh.Signer
	tried   []string
	notes   []string
	agent   net.Conn
}

func (c *credentials) close() {
	if c.agent != nil {
		_ = c.agent.Close()
	}
}

func (c *credentials) add(s ssh.Signer, desc string) {
	for _, have := range c.signers {
		if bytes.Equal(have.PublicKey().Marshal(), s.PublicKey().Marshal()) {
			return
		}
	}
	c.signers = append(c.signers, s)
	c.tried = append(c.tried, desc)
}

// gatherCredentials collects key files then agent keys for ep.
func gatherCredentials(ep endpoint, o Options) (*credentials, error) {
	cr := &credentials{}
	agentSigners := cr.openAgent()
	files := ep.keyFiles
	if len(files) == 0 {
		files = defaultKeyFiles()
	}
	for _, f := range files {
		s, err := loadKey(f, agentSigners, o.Passphrase)
		switch {
		case err == nil:
			cr.add(s, "key "+f)
		case errors.Is(err, os.ErrNotExist) && !ep.explicitKeys:
		case errors.Is(err, os.ErrNotExist):
			cr.close()
			return nil, fmt.Errorf("identity file %s: %w", f, err)
		default:
			cr.notes = append(cr.notes, err.Error())
		}
	}
	for _, s := range agentSigners {
		if ep.identitiesOnly && !matchesFile(s.PublicKey(), files) {
			continue
		}
		cr.add(s, "agent key "+ssh.FingerprintSHA256(s.PublicKey()))
	}
	return cr, nil
}

// openAgent connects to SSH_AUTH_SOCK; failures become notes.
func (c *credentials) openAgent() []ssh.Signer {
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		c.notes = append(c.notes, fmt.Sprintf("ssh-agent at SSH_AUTH_SOCK unreachable: %v", err))
		return nil
	}
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		_ = conn.Close()
		c.notes = append(c.notes, fmt.Sprintf("ssh-agent: %v", err))
		return nil
	}
	c.agent = conn
	return signers
}

func defaultKeyFiles() []string {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		out = append(out, filepath.Join(home, ".ssh", n))
	}
	return out
}

// loadKey parses a key file, asking for its passphrase when needed; an
// encrypted key whose public half the agent holds is served by the agent.
func loadKey(file string, agentSigners []ssh.Signer, ask func(string) ([]byte, error)) (ssh.Signer, error) {
	keyCache.Lock()
	defer keyCache.Unlock()
	if s, ok := keyCache.signers[file]; ok {
		return s, nil
	}
	pem, err := localfile.Read(context.Background(), file, localfile.MaxKey)
	if err != nil {
		return nil, err
	}
	s, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if pub := publicKeyOf(file, missing.PublicKey); pub != nil {
			for _, a := range agentSigners {
				if bytes.Equal(a.PublicKey().Marshal(), pub.Marshal()) {
					return a, nil
				}
			}
		}
		if ask == nil {
			return nil, fmt.Errorf("key %s is encrypted and no terminal is available to ask its passphrase; "+
				"load it into ssh-agent (ssh-add %s) or run from a terminal", file, file)
		}
		s, err = decryptKey(file, pem, ask)
	}
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", file, err)
	}
	keyCache.signers[file] = s
	return s, nil
}

func decryptKey(file string, pem []byte, ask func(string) ([]byte, error)) (ssh.Signer, error) {
	pass, err := ask(file)
	if err != nil {
		return nil, fmt.Errorf("ask passphrase: %w", err)
	}
	redact.Add(string(pass))
	s, err := ssh.ParsePrivateKeyWithPassphrase(pem, pass)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %s", redact.Error(err))
	}
	return s, nil
}

// publicKeyOf returns the public key embedded in the key file, or from
// file.pub.
func publicKeyOf(file string, embedded ssh.PublicKey) ssh.PublicKey {
	if embedded != nil {
		return embedded
	}
	b, err := localfile.Read(context.Background(), file+".pub", localfile.MaxKey)
	if err != nil {
		return nil
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil
	}
	return pub
}

// matchesFile reports whether pub belongs to one of files (IdentitiesOnly).
func matchesFile(pub ssh.PublicKey, files []string) bool {
	for _, f := range files {
		var embedded ssh.PublicKey
		if pem, err := localfile.Read(context.Background(), f, localfile.MaxKey); err == nil {
			if s, err := ssh.ParsePrivateKey(pem); err == nil {
				embedded = s.PublicKey()
			} else if m := (*ssh.PassphraseMissingError)(nil); errors.As(err, &m) {
				embedded = m.PublicKey
			}
		}
		if k := publicKeyOf(f, embedded); k != nil && bytes.Equal(k.Marshal(), pub.Marshal()) {
			return true
		}
	}
	return false
}
