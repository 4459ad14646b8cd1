package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// binDir holds the stand-in built once for all tests.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "standin-k3s-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	for _, v := range []string{"v1.31.4+k3s1", "v1.31.5+k3s1"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, v, "k3s"),
			"-ldflags", "-X main.version="+v, ".").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building stand-in: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func binary(v string) string { return filepath.Join(binDir, v, "k3s") }

var ipCounter atomic.Int32

// newIP hands out a loopback address no other test uses.
func newIP() string {
	n := ipCounter.Add(1)
	return fmt.Sprintf("127.%d.%d.%d", 100+os.Getpid()%100, n/200, 10+n%200)
}

// syncBuffer is a goroutine-safe log buffer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is one stand-in process with its own relocated root.
type proc struct {
	root   string
	ip     string
	cmd    *exec.Cmd
	log    *syncBuffer
	done   chan struct{}
	err    error
	notify *net.UnixConn
	env    []string
	args   []string
}

// start runs the stand-in (version v) with args under root.
func start(t *testing.T, v, root, ip string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{root: root, ip: ip, log: &syncBuffer{}, done: make(chan struct{}), env: env, args: args}
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatalf("notify socket: %v", err)
	}
	p.notify = conn
	p.cmd = exec.Command(binary(v), args...)
	p.cmd.Env = append(os.Environ(), "K3S_STANDIN_ROOT="+root, "NOTIFY_SOCKET="+sock, "K3S_STANDIN_READY_DELAY=1s")
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting stand-in: %v", err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t); conn.Close() })
	return p
}

func (p *proc) stop(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// restart stops p and starts the same node again with version v.
func (p *proc) restart(t *testing.T, v string) *proc {
	t.Helper()
	p.stop(t)
	return start(t, v, p.root, p.ip, p.env, p.args...)
}

// exited waits up to d for the process to exit and reports its error.
func (p *proc) exited(d time.Duration) (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	case <-time.After(d):
		return false, nil
	}
}

// ready waits up to d for READY=1 on the notify socket.
func (p *proc) ready(d time.Duration) bool {
	_ = p.notify.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 256)
	n, err := p.notify.Read(buf)
	return err == nil && strings.Contains(string(buf[:n]), "READY=1")
}

// eventually polls cond every 100ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		<-tick.C
	}
}

// cluster is a set of stand-in processes under one temp dir.
type cluster struct {
	t    *testing.T
	dir  string
	home string
}

func newCluster(t *testing.T) *cluster {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Fatalf("these tests drive the real kubectl, which is not on PATH: install it (apt-get install -y kubernetes-client): %v", err)
	}
	return &cluster{t: t, dir: t.TempDir(), home: t.TempDir()}
}

// server starts a server named name; extra args are appended.
func (c *cluster) server(name string, env []string, args ...string) *proc {
	ip := newIP()
	base := []string{"server", "--node-name", name, "--node-ip", ip, "--bind-address", ip}
	p := start(c.t, "v1.31.4+k3s1", filepath.Join(c.dir, name), ip, env, append(base, args...)...)
	if !p.ready(15 * time.Second) {
		c.t.Fatalf("server %s never signalled READY:\n%s", name, p.log.String())
	}
	return p
}

// agent starts an agent named name joining url with token.
func (c *cluster) agent(v, name, url, tok string, env []string) *proc {
	ip := newIP()
	return start(c.t, v, filepath.Join(c.dir, name+"@"+ip), ip, env,
		"agent", "--node-name", name, "--node-ip", ip, "--server", url, "--token", tok)
}

func (p *proc) url() string { return "https://" + p.ip + ":6443" }

func (p *proc) file(rel string) string { return filepath.Join(p.root, rel) }

func (p *proc) nodeToken(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.file("var/lib/rancher/k3s/server/node-token"))
	if err != nil {
		t.Fatalf("reading node-token: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// kubectl runs the real kubectl against server s.
func (c *cluster) kubectl(s *proc, args ...string) (string, error) {
	return c.kubectlIn(s, "", args...)
}

// kubectlIn runs the real kubectl with stdin.
func (c *cluster) kubectlIn(s *proc, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "HOME="+c.home, "KUBECONFIG="+s.file("etc/rancher/k3s/k3s.yaml"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustKubectl is kubectl that fails the test on error.
func (c *cluster) mustKubectl(s *proc, args ...string) string {
	c.t.Helper()
	out, err := c.kubectl(s, args...)
	if err != nil {
		c.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}
