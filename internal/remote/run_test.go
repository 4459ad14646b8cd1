package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/redact"
	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
)

func TestRunExitErrorRedacted(t *testing.T) {
	const token = "K10run-test-token::server:zzz"
	redact.Add(token)
	e := newEnv(t)
	s := e.server(sshtest.Config{})
	e.trust(s)
	c := e.dial(target(s), e.opts())
	tests := []struct {
		name     string
		cmd      Cmd
		code     int
		stdout   string
		contains []string
	}{
		{"ok with stdin", Cmd{Script: "cat", Stdin: []byte("in")}, 0, "in", nil},
		{"quotes survive", Cmd{Script: `printf '%s' "it's"`}, 0, "it's", nil},
		{"exit 3 redacted", Cmd{Script: "echo out; echo bad " + token + " >&2; exit 3"}, 3, "out\n",
			[]string{"status 3", "bad ***", s.Host()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Run(ctxT(t), tt.cmd)
			if res.ExitCode != tt.code || string(res.Stdout) != tt.stdout {
				t.Errorf("exit %d stdout %q, want %d %q", res.ExitCode, res.Stdout, tt.code, tt.stdout)
			}
			if tt.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ee *ExitError
			if !errors.As(err, &ee) || ee.ExitCode != tt.code {
				t.Fatalf("err = %v, want *ExitError %d", err, tt.code)
			}
			mustContain(t, err.Error(), tt.contains...)
			if strings.Contains(err.Error(), token) || strings.Contains(string(res.Stderr), token) {
				t.Error("token leaked")
			}
		})
	}
}

// TestRunExitErrorKeepsBothStreams: a failed command's error shows the last
// lines of stdout too, redacted, because k3s's install.sh says what it was
// doing on stdout and only "Download failed" (or nothing) on stderr.
func TestRunExitErrorKeepsBothStreams(t *testing.T) {
	const token = "K10both-streams-token::server:yyy"
	redact.Add(token)
	e := newEnv(t)
	s := e.server(sshtest.Config{})
	e.trust(s)
	c := e.dial(target(s), e.opts())
	info := "for i in 1 2 3 4 5 6; do echo \"[INFO]  step $i\"; done; echo \"[INFO]  Downloading hash https://mirror/x " + token + "\"; "
	tests := []struct {
		name, script, stderr string
		stdout               []string // in the error, in order
		notIn                []string
	}{
		{"bare reason on stderr", info + "echo '[ERROR]  Download failed' >&2; exit 1", "[ERROR]  Download failed",
			[]string{"[INFO]  step 3", "[INFO]  step 6", "[INFO]  Downloading hash https://mirror/x ***"}, []string{"step 2"}},
		{"silent exit", info + "exit 1", "",
			[]string{"[INFO]  step 6", "[INFO]  Downloading hash https://mirror/x ***"}, []string{"step 1"}},
		{"nothing on stdout", "echo only-stderr >&2; exit 2", "only-stderr", nil, []string{"its output ended"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Run(ctxT(t), Cmd{Script: tt.script})
			var ee *ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want *ExitError", err)
			}
			if ee.Stderr != tt.stderr {
				t.Errorf("Stderr %q, want %q", ee.Stderr, tt.stderr)
			}
			msg := err.Error()
			at := 0
			for _, w := range tt.stdout {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error lacks %q after offset %d:\n%s", w, at, msg)
				}
				at += i + len(w)
			}
			for _, w := range append(tt.notIn, token) {
				if strings.Contains(msg, w) {
					t.Errorf("error holds %q:\n%s", w, msg)
				}
			}
			if len(tt.stdout) > 0 && !strings.Contains(string(res.Stdout), token) {
				t.Error("Result.Stdout must stay as the command printed it")
			}
		})
	}
}

func TestRunReconnectsAfterDrop(t *testing.T) {
	e := newEnv(t)
	s := e.server(sshtest.Config{})
	e.trust(s)
	c := e.dial(target(s), e.opts())
	c.mu.Lock()
	old := c.cur
	c.mu.Unlock()
	_ = old.client.Close() // the connection dies under the client
	<-old.dead
	res, err := c.Run(ctxT(t), Cmd{Script: "echo again"})
	if err != nil || strings.TrimSpace(string(res.Stdout)) != "again" {
		t.Fatalf("Run after drop = %q, %v", res.Stdout, err)
	}
}

func TestRunContextCancel(t *testing.T) {
	e := newEnv(t)
	s := e.server(sshtest.Config{})
	e.trust(s)
	c := e.dial(target(s), e.opts())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Run(ctx, Cmd{Script: "exec sleep 30"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

// TestKeepAliveDetectsDeadPeer: a peer that stops answering (TCP open,
// SSH silent) is detected and the connection closed.
func TestKeepAliveDetectsDeadPeer(t *testing.T) {
	e := newEnv(t)
	s := e.server(sshtest.Config{})
	e.trust(s)
	// A proxy that can freeze traffic in both directions.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	freeze, stop := make(chan struct{}), make(chan struct{})
	defer close(stop)
	go func() {
		a, err := ln.Accept()
		if err != nil {
			return
		}
		b, err := net.Dial("tcp", s.Addr())
		if err != nil {
			return
		}
		pipe := func(dst, src net.Conn) { _, _ = io.Copy(dst, frozenReader{src, freeze, stop}) }
		go pipe(a, b)
		pipe(b, a)
	}()
	o := e.opts()
	o.KeepAlive = 50 * time.Millisecond
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	e.appendKnown(fmt.Sprintf("[127.0.0.1]:%s %s", port, strings.TrimSpace(string(marshalKey(s)))))
	tg := Target{Alias: "127.0.0.1"}
	if _, err := fmt.Sscan(port, &tg.Port); err != nil {
		t.Fatal(err)
	}
	c := e.dial(tg, o)
	c.mu.Lock()
	cn := c.cur
	c.mu.Unlock()
	close(freeze)
	select {
	case <-cn.dead:
	case <-ctxT(t).Done():
		t.Fatal("dead peer not detected")
	}
}

type frozenReader struct {
	r            io.Reader
	freeze, stop chan struct{}
}

func (f frozenReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	select {
	case <-f.freeze:
		<-f.stop // swallow until the test ends: the peer went silent
		return 0, io.EOF
	default:
	}
	return n, err
}

// TestExitErrorNamesTheCommand: a failed command is named the way it can be
// recognized (an argv pasteable into a shell, a script by its name and
// arguments), once, beside its host, exit code and output.
func TestExitErrorNamesTheCommand(t *testing.T) {
	script := "# shellcheck shell=sh\n# k3sup-pi hostname: rename the host\nhostname \"$1\"\n"
	tests := []struct {
		cmd  Cmd
		want string
	}{
		{Argv("systemctl", "restart", "k3s-agent"), "pi-1: `systemctl restart k3s-agent` exited with status 3: failed"},
		{Script(script, "pi 7"), "pi-1: `k3sup-pi hostname 'pi 7'` exited with status 3: failed"},
		{Argv("sh", "-c", script, "x"), "pi-1: `sh -c <k3sup-pi hostname> x` exited with status 3: failed"},
		{Cmd{Script: "true"}, "pi-1: command exited with status 3: failed"},
	}
	for _, tt := range tests {
		err := newExitError("pi-1", tt.cmd.Label, Result{ExitCode: 3, Stderr: []byte("failed\n")})
		if got := err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
func TestIsRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&HostKeyError{Kind: HostKeyChanged}, false},
		{fmt.Errorf("wrapped: %w", &AuthError{}), false},
		{&SudoError{Err: ErrNoSudo}, false},
		{&ExitError{ExitCode: 1}, false},
		{context.Canceled, false},
		{fmt.Errorf("x: %w", io.EOF), true},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{errConnLost, true},
	}
	for _, tt := range tests {
		if got := IsRetryable(tt.err); got != tt.want {
			t.Errorf("IsRetryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
