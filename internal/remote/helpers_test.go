package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// env is a HOME-like sandbox: a client key in ~/.ssh/id_ed25519 and a
// known_hosts path, with SSH_AUTH_SOCK cleared.
type env struct {
	t     *testing.T
	home  string
	key   ssh.Signer
	known string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, home: home, known: filepath.Join(home, ".ssh", "known_hosts")}
	e.key = e.writeKey(filepath.Join(home, ".ssh", "id_ed25519"), "")
	return e
}

// writeKey writes a new ed25519 key (encrypted when pass != "").
func (e *env) writeKey(path, pass string) ssh.Signer {
	e.t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	var block *pem.Block
	if pass == "" {
		block, err = ssh.MarshalPrivateKey(priv, "test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(pass))
	}
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		e.t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// server starts a test server that accepts e.key plus extra keys.
func (e *env) server(cfg sshtest.Config, extra ...ssh.PublicKey) *sshtest.Server {
	e.t.Helper()
	cfg.AuthorizedKeys = append(append(cfg.AuthorizedKeys, e.key.PublicKey()), extra...)
	return sshtest.Start(e.t, cfg)
}

// trust records s's host key under its address.
func (e *env) trust(s *sshtest.Server) {
	e.t.Helper()
	e.appendKnown(knownhosts.Line([]string{knownHostsName(s.Host(), s.Port())}, s.HostKey()))
}

func (e *env) appendKnown(line string) {
	e.t.Helper()
	f, err := os.OpenFile(e.known, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line + "\n"); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) readKnown() string {
	b, err := os.ReadFile(e.known)
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *env) opts() Options {
	return Options{KnownHostsFile: e.known, SSHConfigFile: "none", ConnectTimeout: 5 * time.Second}
}

func target(s *sshtest.Server) Target {
	return Target{Alias: s.Host(), Port: s.Port()}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dial connects or fails the test.
func (e *env) dial(tg Target, o Options) *Client {
	e.t.Helper()
	c, err := Dial(ctxT(e.t), tg, o)
	if err != nil {
		e.t.Fatalf("Dial %s: %v", tg.Alias, err)
	}
	e.t.Cleanup(func() { _ = c.Close() })
	return c
}

func mustContain(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%q\n  does not contain %q", s, sub)
		}
	}
}

func marshalKey(s *sshtest.Server) []byte { return ssh.MarshalAuthorizedKey(s.HostKey()) }
