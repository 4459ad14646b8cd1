package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/redact"
	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// startAgent serves an in-process agent holding one new key on a unix
// socket and points SSH_AUTH_SOCK at it.
func startAgent(t *testing.T) ssh.PublicKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	kr := agent.NewKeyring()
	if err := kr.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = agent.ServeAgent(kr, c); _ = c.Close() }()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
	signers, err := kr.Signers()
	if err != nil {
		t.Fatal(err)
	}
	return signers[0].PublicKey()
}

func TestAgentOnlyAuth(t *testing.T) {
	e := newEnv(t)
	if err := os.Remove(filepath.Join(e.home, ".ssh", "id_ed25519")); err != nil {
		t.Fatal(err)
	}
	agentKey := startAgent(t)
	tests := []struct {
		name       string
		authorized []ssh.PublicKey
		wantErr    bool
	}{
		{"agent key authorized", []ssh.PublicKey{agentKey}, false},
		{"agent key refused", []ssh.PublicKey{sshtest.NewKey(t).PublicKey()}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sshtest.Start(t, sshtest.Config{AuthorizedKeys: tt.authorized})
			e.trust(s)
			c, err := Dial(ctxT(t), target(s), e.opts())
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if _, err := c.Run(ctxT(t), Cmd{Script: "true"}); err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *AuthError", err)
			}
			mustContain(t, err.Error(), "agent key "+ssh.FingerprintSHA256(agentKey))
			if !IsPermanent(err) {
				t.Error("an auth error must be permanent: no wait retries it")
			}
		})
	}
}

func TestEncryptedKey(t *testing.T) {
	const pass = "correct-horse-battery"
	tests := []struct {
		name    string
		ask     func(string) ([]byte, error)
		wantErr string
	}{
		{"no terminal", nil, "is encrypted and no terminal is available to ask its passphrase"},
		{"passphrase given", func(string) ([]byte, error) { return []byte(pass), nil }, ""},
		{"wrong passphrase", func(string) ([]byte, error) { return []byte("wrong-passphrase"), nil }, "decrypt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			keyFile := filepath.Join(e.home, "enc_key")
			encKey := e.writeKey(keyFile, pass)
			s := sshtest.Start(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{encKey.PublicKey()}})
			e.trust(s)
			o := e.opts()
			o.Passphrase = tt.ask
			tg := target(s)
			tg.KeyFiles = []string{keyFile}
			c, err := Dial(ctxT(t), tg, o)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				_ = c.Close()
				if got := redact.String("x " + pass); got != "x ***" {
					t.Errorf("passphrase not registered for redaction: %q", got)
				}
				return
			}
			var ae *AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *AuthError", err)
			}
			mustContain(t, err.Error(), keyFile, tt.wantErr)
			if strings.Contains(err.Error(), pass) {
				t.Error("passphrase leaked into error")
			}
		})
	}
}

func TestMissingExplicitKeyFile(t *testing.T) {
	e := newEnv(t)
	s := e.server(sshtest.Config{})
	e.trust(s)
	tg := target(s)
	tg.KeyFiles = []string{filepath.Join(e.home, "nope")}
	_, err := Dial(ctxT(t), tg, e.opts())
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v, want a missing identity file error", err)
	}
}

// TestKeyFileMustBeRegular: a named pipe given as the key is refused at once
// (os.ReadFile would block until a writer opens it).
func TestKeyFileMustBeRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "id_fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := loadKey(fifo, nil, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("loadKey(fifo) error = %v, want a refusal naming the named pipe", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("loadKey on a named pipe did not return")
	}
}
