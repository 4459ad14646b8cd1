// Package sshtest runs an in-process SSH server for the tests of package
// remote: public-key auth, exec requests run with /bin/sh on this machine,
// the sftp subsystem, direct-tcpip forwarding (a bastion) and fake sudo/id
// commands on PATH so that the client can be made to believe it is not root.
package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Config describes one test server.
type Config struct {
	// Addr to listen on; "" = 127.0.0.1:0.
	Addr string
	// HostKey of the server; nil = a fresh ed25519 key.
	HostKey ssh.Signer
	// AuthorizedKeys may log in (any user name).
	AuthorizedKeys []ssh.PublicKey
	// Bin holds scripts (name -> content) placed first on PATH.
	Bin map[string]string
	// Env is added to the environment of every command.
	Env []string
	// Home is $HOME and the working directory of commands; "" = a temp dir.
	Home string
	// Intercept, when set, sees each exec request first; handled requests
	// do not run and report exit.
	Intercept func(cmd string) (exit int, handled bool)
	// CutStdin, when set, sees everything the client sent on a command's
	// stdin and returns what the command gets, like a connection whose input
	// stops early (the command then sees EOF).
	CutStdin func(in []byte) []byte
}

// Server is a running test server.
type Server struct {
	t        testing.TB
	cfg      Config
	ln       net.Listener
	signer   ssh.Signer
	binDir   string
	mu       sync.Mutex
	conns    map[net.Conn]bool
	commands []string
	users    []string
	forwards []string
	closed   bool
	wg       sync.WaitGroup
}

// NewKey returns a fresh ed25519 signer.
func NewKey(t testing.TB) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	return s
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.HostKey == nil {
		cfg.HostKey = NewKey(t)
	}
	if cfg.Home == "" {
		cfg.Home = t.TempDir()
	}
	s := &Server{t: t, cfg: cfg, signer: cfg.HostKey, conns: map[net.Conn]bool{}}
	s.binDir = t.TempDir()
	bin := map[string]string{"systemctl": SystemctlScript("running"), "reboot": noop, "shutdown": noop, "poweroff": noop}
	for name, body := range cfg.Bin {
		bin[name] = body
	}
	for name, body := range bin {
		if err := os.WriteFile(filepath.Join(s.binDir, name), []byte(body), 0o755); err != nil {
			t.Fatalf("write fake %s: %v", name, err)
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatalf("listen %s: %v", cfg.Addr, err)
	}
	s.ln = ln
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.Close)
	return s
}

// noop stands in for commands that must never run for real in a test.
const noop = "#!/bin/sh\nexit 0\n"

// Addr is the host:port the server listens on.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ln.Addr().String()
}

// Host is the listening IP address.
func (s *Server) Host() string {
	h, _, _ := net.SplitHostPort(s.Addr())
	return h
}

// Port is the listening port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(p)
	return n
}

// HostKey is the server's public host key.
func (s *Server) HostKey() ssh.PublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signer.PublicKey()
}

// SetAuthorizedKeys replaces the keys that may log in, from the next
// connection on.
func (s *Server) SetAuthorizedKeys(keys ...ssh.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.AuthorizedKeys = keys
}

// SetHostKey makes the server offer key from the next connection on, like a
// host whose keys were regenerated.
func (s *Server) SetHostKey(key ssh.Signer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signer = key
}

// Home is the $HOME of commands.
func (s *Server) Home() string { return s.cfg.Home }

// Commands returns every exec request received so far.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Users returns the user name of every authenticated connection.
func (s *Server) Users() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.users...)
}

// Forwards returns the targets of every direct-tcpip channel.
func (s *Server) Forwards() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.forwards...)
}

// Close stops listening and drops every connection, like a host going down.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	ln := s.ln
	s.mu.Unlock()
	_ = ln.Close()
	s.wg.Wait()
}

// Reboot simulates a reboot in the background: every connection drops and
// the listener closes, onDown runs (e.g. to clear /run), and after delay the
// server listens again on the same address with the same host key.
func (s *Server) Reboot(delay time.Duration, onDown func()) {
	addr := s.Addr()
	go func() {
		s.Close()
		if onDown != nil {
			onDown()
		}
		timer := time.NewTimer(delay)
		<-timer.C
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			s.t.Errorf("sshtest: listen again on %s: %v", addr, err)
			return
		}
		s.mu.Lock()
		s.ln, s.closed = ln, false
		s.mu.Unlock()
		s.wg.Add(1)
		go s.acceptLoop()
	}()
}
