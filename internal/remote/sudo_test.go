package remote

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/redact"
	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
	"golang.org/x/sync/errgroup"
)

// sudoServer starts a server where the login user looks like uid 1000 and
// sudo behaves as configured; it returns the server and its sudo log path.
func (e *env) sudoServer(password string, deny bool) (*sshtest.Server, string) {
	e.t.Helper()
	log := filepath.Join(e.t.TempDir(), "sudo.log")
	envv := []string{"FAKE_SUDO_LOG=" + log, "FAKE_SUDO_PASSWORD=" + password}
	if deny {
		envv = append(envv, "FAKE_SUDO_DENY=1")
	}
	s := e.server(sshtest.Config{
		Bin: map[string]string{"sudo": sshtest.SudoScript, "id": sshtest.IDScript(1000)},
		Env: envv,
	})
	e.trust(s)
	return s, log
}

func TestSudoPasswordOnceForThreeHosts(t *testing.T) {
	e := newEnv(t)
	const pw = "pi-sudo-pass-1"
	var prompts atomic.Int32
	sp := NewSudoPassword("", "", func() ([]byte, error) {
		prompts.Add(1)
		return []byte(pw), nil
	})
	o := e.opts()
	o.Sudo = sp
	var servers []*sshtest.Server
	var logs []string
	for range 3 {
		s, log := e.sudoServer(pw, false)
		servers, logs = append(servers, s), append(logs, log)
	}
	var g errgroup.Group
	var mu sync.Mutex
	outs := map[string]string{}
	for _, s := range servers {
		g.Go(func() error {
			c, err := Dial(context.Background(), target(s), o)
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.Run(ctxT(t), Cmd{Script: "cat; id -un >/dev/null", Sudo: true, Stdin: []byte("payload")})
			mu.Lock()
			outs[s.Addr()] = string(res.Stdout)
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if n := prompts.Load(); n != 1 {
		t.Errorf("prompted %d times, want 1", n)
	}
	for i, s := range servers {
		if outs[s.Addr()] != "payload" {
			t.Errorf("%s: stdout %q, want the stdin after the password line", s.Addr(), outs[s.Addr()])
		}
		b, err := os.ReadFile(logs[i])
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, string(b), "-k -S -p  sh -c")
		for _, argv := range append(s.Commands(), string(b)) {
			if strings.Contains(argv, pw) {
				t.Errorf("password in argv: %q", argv)
			}
		}
	}
}

func TestSudoFailures(t *testing.T) {
	tests := []struct {
		name     string
		password string // what the host wants
		deny     bool
		given    *SudoPassword
		want     error
		contains []string
	}{
		{"wrong password", "right-password", false, NewSudoPassword("", "", func() ([]byte, error) { return []byte("wrong-password"), nil }),
			ErrSudoPassword, []string{"Sorry, try again."}},
		{"no password source", "right-password", false, nil, ErrSudoPassword, []string{"needs a password"}},
		{"not in sudoers", "", true, NewSudoPassword("", "", func() ([]byte, error) { return []byte("any-password"), nil }),
			ErrNoSudo, []string{"not in the sudoers file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			s, _ := e.sudoServer(tt.password, tt.deny)
			o := e.opts()
			o.Sudo = tt.given
			tg := target(s)
			tg.User = "admin"
			c := e.dial(tg, o)
			marker := filepath.Join(t.TempDir(), "ran")
			_, err := c.Run(ctxT(t), Cmd{Script: "touch " + marker, Sudo: true})
			var se *SudoError
			if !errors.As(err, &se) || !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want *SudoError wrapping %v", err, tt.want)
			}
			mustContain(t, err.Error(), s.Host(), "admin")
			mustContain(t, err.Error(), tt.contains...)
			if strings.Contains(err.Error(), "wrong-password") {
				t.Errorf("password leaked: %v", err)
			}
			if _, statErr := os.Stat(marker); statErr == nil {
				t.Error("command ran despite the sudo failure")
			}
		})
	}
}

func TestSudoModes(t *testing.T) {
	tests := []struct {
		name       string
		bin        map[string]string
		wantPrefix string // of the command run for Cmd{Sudo: true}
	}{
		{"root needs no sudo", nil, "sh -c"},
		{"passwordless sudo", map[string]string{"sudo": sshtest.SudoScript, "id": sshtest.IDScript(1000)}, "sudo -n sh -c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.server(sshtest.Config{Bin: tt.bin})
			e.trust(s)
			o := e.opts()
			o.Sudo = NewSudoPassword("", "", func() ([]byte, error) {
				t.Error("prompted for a password that is not needed")
				return nil, errors.New("no")
			})
			c := e.dial(target(s), o)
			for range 2 {
				if _, err := c.Run(ctxT(t), Cmd{Script: "echo hi", Sudo: true}); err != nil {
					t.Fatal(err)
				}
			}
			cmds := s.Commands()
			if last := cmds[len(cmds)-1]; !strings.HasPrefix(last, tt.wantPrefix) {
				t.Errorf("ran %q, want prefix %q", last, tt.wantPrefix)
			}
			probes := 0
			for _, cmd := range cmds {
				if cmd == "id -u" {
					probes++
				}
			}
			if probes != 1 {
				t.Errorf("probed uid %d times, want once per connection", probes)
			}
		})
	}
}

func TestSudoPasswordSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	if err := os.WriteFile(file, []byte("from-file-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_SUDO_PW", "from-env-pw")
	tests := []struct {
		name, env, file string
		want            string
		wantErr         bool
	}{
		{"env wins", "TEST_SUDO_PW", file, "from-env-pw", false},
		{"file, newline trimmed", "UNSET_SUDO_VAR", file, "from-file-pw", false},
		{"nothing", "", "", "", true},
		{"missing file", "", filepath.Join(dir, "none"), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewSudoPassword(tt.env, tt.file, nil).Get()
			if (err != nil) != tt.wantErr || string(got) != tt.want {
				t.Errorf("Get() = %q, %v; want %q, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestSudoStdinMarker: when sudo runs the command without reading the
// password, the password must not become the command's data.
func TestSudoStdinMarker(t *testing.T) {
	const pw = "pw-that-must-not-land"
	tests := []struct {
		name   string
		noRead bool
	}{
		{"sudo reads the password", false},
		{"sudo runs without reading it", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			envv := []string{"FAKE_SUDO_PASSWORD=" + pw}
			if tt.noRead {
				envv = append(envv, "FAKE_SUDO_NO_READ=1")
			}
			s := e.server(sshtest.Config{Bin: map[string]string{"sudo": sshtest.SudoScript, "id": sshtest.IDScript(1000)}, Env: envv})
			e.trust(s)
			o := e.opts()
			o.Sudo = NewSudoPassword("", "", func() ([]byte, error) { return []byte(pw), nil })
			tg := target(s)
			tg.User = "admin"
			c := e.dial(tg, o)
			out := filepath.Join(t.TempDir(), "cmdline.txt")
			_, err := c.Run(ctxT(t), Cmd{Script: "cat > " + out, Sudo: true, Stdin: []byte("console=tty1 root=/dev/sda2\n")})
			got, _ := os.ReadFile(out)
			if tt.noRead {
				if !errors.Is(err, ErrSudoStdin) {
					t.Fatalf("err = %v, want ErrSudoStdin", err)
				}
				if strings.Contains(err.Error(), pw) {
					t.Errorf("password in the error: %v", err)
				}
				if _, statErr := os.Stat(out); statErr == nil {
					t.Errorf("the script ran and wrote %q", got)
				}
				return
			}
			if err != nil || string(got) != "console=tty1 root=/dev/sda2\n" {
				t.Fatalf("wrote %q, err %v; want the data alone", got, err)
			}
		})
	}
}

// TestSudoPasswordFileMustBeRegular: a named pipe or a device as
// sudo_password_file is refused at once instead of hanging or eating memory.
func TestSudoPasswordFileMustBeRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pw-fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{fifo, "/dev/zero"} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := NewSudoPassword("", file, nil).Get()
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "not a regular file") {
					t.Errorf("Get() error = %v, want a refusal naming a non-regular file", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("Get() with sudo_password_file %s did not return", file)
			}
		})
	}
}

// TestShortSudoPasswordRedacted: a sudo password under 6 characters is
// registered for redaction too (it used to be skipped), masked as a word.
func TestShortSudoPasswordRedacted(t *testing.T) {
	sp := NewSudoPassword("", "", func() ([]byte, error) { return []byte("pw4x"), nil })
	if _, err := sp.Get(); err != nil {
		t.Fatal(err)
	}
	const leaked = "bash: line 1: pw4x: command not found"
	if got := redact.String(leaked); got != "bash: line 1: ***: command not found" {
		t.Errorf("redact.String(%q) = %q", leaked, got)
	}
}
