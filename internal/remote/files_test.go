package remote

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
)

// fileClient dials a root or a non-root (sudo with password) host.
func (e *env) fileClient(nonRoot bool) (*Client, *sshtest.Server) {
	e.t.Helper()
	o := e.opts()
	if nonRoot {
		s, _ := e.sudoServer("file-sudo-pw", false)
		o.Sudo = NewSudoPassword("", "", func() ([]byte, error) { return []byte("file-sudo-pw"), nil })
		return e.dial(target(s), o), s
	}
	s := e.server(sshtest.Config{})
	e.trust(s)
	return e.dial(target(s), o), s
}

func checkFile(t *testing.T, path string, want []byte, mode fs.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", path, got, want)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != mode {
		t.Errorf("mode %o, want %o", st.Mode().Perm(), mode)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".k3sup-pi*"))
	if len(left) != 0 {
		t.Errorf("temp files left behind: %v", left)
	}
}

func TestWriteFile(t *testing.T) {
	const secret = "K10secret-token-value::server:abc"
	for _, nonRoot := range []bool{false, true} {
		t.Run(map[bool]string{false: "root", true: "sudo"}[nonRoot], func(t *testing.T) {
			e := newEnv(t)
			c, s := e.fileClient(nonRoot)
			path := filepath.Join(t.TempDir(), "etc", "rancher", "config.yaml")
			steps := []struct {
				data        string
				mode        fs.FileMode
				wantChanged bool
			}{
				{"token: " + secret + "\n", 0o600, true},
				{"token: " + secret + "\n", 0o600, false},
				{"token: " + secret + "\n", 0o640, true},
				{"token: other\n", 0o640, true},
			}
			for i, st := range steps {
				var old *os.File
				if i > 0 {
					f, err := os.Open(path)
					if err != nil {
						t.Fatal(err)
					}
					old = f
				}
				before, _ := os.ReadFile(path)
				changed, err := c.WriteFile(ctxT(t), path, []byte(st.data), st.mode)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if changed != st.wantChanged {
					t.Errorf("step %d: changed = %v, want %v", i, changed, st.wantChanged)
				}
				checkFile(t, path, []byte(st.data), st.mode)
				if old != nil {
					// Atomic replace: an open handle still sees the old content.
					got, _ := io.ReadAll(old)
					_ = old.Close()
					if !bytes.Equal(got, before) {
						t.Errorf("step %d: file was rewritten in place", i)
					}
				}
			}
			for _, cmd := range s.Commands() {
				if strings.Contains(cmd, secret) {
					t.Errorf("file content in argv: %q", cmd)
				}
			}
		})
	}
}

func TestUpload(t *testing.T) {
	for _, nonRoot := range []bool{false, true} {
		t.Run(map[bool]string{false: "root", true: "sudo"}[nonRoot], func(t *testing.T) {
			e := newEnv(t)
			c, s := e.fileClient(nonRoot)
			local := filepath.Join(t.TempDir(), "k3s")
			data := bytes.Repeat([]byte("k3s-binary\x00"), 300000) // ~3 MB
			if err := os.WriteFile(local, data, 0o644); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(t.TempDir(), "usr", "local", "bin", "k3s")
			for i, want := range []bool{true, false} {
				changed, err := c.Upload(ctxT(t), local, dst, 0o755)
				if err != nil {
					t.Fatalf("upload %d: %v", i, err)
				}
				if changed != want {
					t.Errorf("upload %d: changed = %v, want %v", i, changed, want)
				}
				checkFile(t, dst, data, 0o755)
			}
			stages, _ := filepath.Glob(filepath.Join(s.Home(), ".k3sup-pi-stage*"))
			if len(stages) != 0 {
				t.Errorf("staging dirs left: %v", stages)
			}
		})
	}
}
