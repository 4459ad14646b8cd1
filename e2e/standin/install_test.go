package standin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// mirror serves a staged tree like the e2e mirror host: files as they are,
// channels as redirects to the path in the channel file.
func mirror(t *testing.T, root string) *httptest.Server {
	files := http.FileServer(http.Dir(root))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1-release/channels/") {
			b, err := os.ReadFile(filepath.Join(root, r.URL.Path))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			http.Redirect(w, r, strings.TrimSpace(string(b)), http.StatusFound)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/k3s-io/k3s/releases/tag/") {
			_, _ = w.Write([]byte("release page"))
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// fakeHost is a directory tree with fake systemctl and sudo on PATH.
type fakeHost struct {
	bin, systemd, log string
	env               []string
}

func newFakeHost(t *testing.T, srv *httptest.Server) *fakeHost {
	dir := t.TempDir()
	h := &fakeHost{bin: filepath.Join(dir, "bin"), systemd: filepath.Join(dir, "systemd"), log: filepath.Join(dir, "systemctl.log")}
	tools := filepath.Join(dir, "tools")
	for _, d := range []string{h.bin, h.systemd, tools} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	scripts := map[string]string{
		"systemctl": "#!/bin/sh\necho \"$@\" >> " + h.log + "\n",
		"sudo":      "#!/bin/sh\nexec \"$@\"\n",
		"chown":     "#!/bin/sh\nexit 0\n",
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(tools, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.env = []string{"PATH=" + tools + ":" + os.Getenv("PATH"), "INSTALL_K3S_BIN_DIR=" + h.bin,
		"INSTALL_K3S_SYSTEMD_DIR=" + h.systemd, "GITHUB_URL=" + srv.URL + "/k3s-io/k3s/releases",
		"INSTALL_K3S_CHANNEL_URL=" + srv.URL + "/v1-release/channels"}
	return h
}

func (h *fakeHost) install(t *testing.T, script string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", script)
	cmd.Env = append(append(cleanEnv(), h.env...), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// cleanEnv drops K3S_* and INSTALL_K3S_* from the test's own environment.
func cleanEnv() []string {
	var out []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "K3S_") && !strings.HasPrefix(e, "INSTALL_K3S_") && !strings.HasPrefix(e, "PATH=") {
			out = append(out, e)
		}
	}
	return out
}

func (h *fakeHost) read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return string(b)
}

func TestInstallScript(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root := t.TempDir()
	if err := StageMirror(ctx, root, nil, "v1.31.4+k3s1"); err != nil {
		t.Fatal(err)
	}
	srv := mirror(t, root)
	script := filepath.Join(root, "install.sh")
	h := newFakeHost(t, srv)
	steps := []struct {
		name    string
		env     []string
		wantErr bool
		out     string
		check   func(t *testing.T)
	}{
		{name: "server from channel", env: []string{"INSTALL_K3S_EXEC=server --cluster-init", "K3S_TOKEN=s3cret", "K3S_STANDIN_READY_DELAY=1"},
			out: `Using v1.31.4\+k3s1 as release(?s:.*)Verifying binary download(?s:.*)systemd: Starting k3s`,
			check: func(t *testing.T) {
				unit := h.read(t, filepath.Join(h.systemd, "k3s.service"))
				for _, want := range []string{"Type=notify", "EnvironmentFile=-" + h.systemd + "/k3s.service.env", "k3s \\\n    server \\\n\t'--cluster-init' \\"} {
					if !strings.Contains(unit, want) {
						t.Errorf("unit lacks %q:\n%s", want, unit)
					}
				}
				envFile := filepath.Join(h.systemd, "k3s.service.env")
				if st, _ := os.Stat(envFile); st.Mode().Perm() != 0o600 {
					t.Errorf("env file mode %o", st.Mode().Perm())
				}
				if env := h.read(t, envFile); !strings.Contains(env, "K3S_TOKEN='s3cret'") || strings.Contains(env, "INSTALL_K3S") {
					t.Errorf("env file:\n%s", env)
				}
				for _, f := range []string{"k3s-uninstall.sh", "k3s-killall.sh"} {
					if _, err := os.Lstat(filepath.Join(h.bin, f)); err != nil {
						t.Errorf("missing %s: %v", f, err)
					}
				}
				for _, cmd := range []string{"kubectl", "crictl", "ctr"} {
					_, inPath := exec.LookPath(cmd)
					link, err := os.Readlink(filepath.Join(h.bin, cmd))
					if (inPath == nil) == (err == nil) || (err == nil && link != "k3s") {
						t.Errorf("%s: symlink %q (%v), but in PATH already: %v", cmd, link, err, inPath == nil)
					}
				}
				if log := h.read(t, h.log); !strings.Contains(log, "restart k3s\n") || !strings.Contains(log, "enable "+h.systemd+"/k3s.service") {
					t.Errorf("systemctl calls:\n%s", log)
				}
			}},
		{name: "same again changes nothing", env: []string{"INSTALL_K3S_EXEC=server --cluster-init", "K3S_TOKEN=s3cret", "K3S_STANDIN_READY_DELAY=1"},
			out: `installed k3s matches hash(?s:.*)No change detected so skipping service start`},
		{name: "agent on a pinned version", env: []string{"K3S_URL=https://10.0.0.1:6443", "K3S_TOKEN=t", "INSTALL_K3S_VERSION=v1.31.5+k3s1"},
			out: `Downloading binary .*/download/v1\.31\.5\+k3s1/k3s\n(?s:.*)systemd: Starting k3s-agent`,
			check: func(t *testing.T) {
				unit := h.read(t, filepath.Join(h.systemd, "k3s-agent.service"))
				if !strings.Contains(unit, "k3s \\\n    agent \\\n") {
					t.Errorf("agent unit:\n%s", unit)
				}
				if _, err := os.Stat(filepath.Join(h.bin, "k3s-agent-uninstall.sh")); err != nil {
					t.Error(err)
				}
				out, _ := exec.Command(filepath.Join(h.bin, "k3s"), "--version").Output()
				if !strings.HasPrefix(string(out), "k3s version v1.31.5+k3s1 ") {
					t.Errorf("installed binary: %s", out)
				}
			}},
		{name: "K3S_URL without token", env: []string{"K3S_URL=https://10.0.0.1:6443"}, wantErr: true,
			out: `because K3S_URL is defined, but K3S_TOKEN or K3S_TOKEN_FILE is not defined`},
		{name: "http URL refused", env: []string{"K3S_URL=http://10.0.0.1:6443", "K3S_TOKEN=t"}, wantErr: true,
			out: `Only https:// URLs are supported for K3S_URL`},
		{name: "skip download and start", env: []string{"INSTALL_K3S_SKIP_DOWNLOAD=true", "INSTALL_K3S_SKIP_START=true", "K3S_TOKEN=other"},
			out: `Skipping k3s download and verify`,
			check: func(t *testing.T) {
				if log := h.read(t, h.log); strings.Count(log, "restart k3s\n") != 1 {
					t.Errorf("SKIP_START still restarted:\n%s", log)
				}
			}},
		{name: "unknown version", env: []string{"INSTALL_K3S_VERSION=v9.9.9+k3s1"}, wantErr: true, out: `Download failed`},
	}
	for _, st := range steps {
		out, err := h.install(t, script, st.env...)
		if (err != nil) != st.wantErr || !regexp.MustCompile(st.out).MatchString(out) {
			t.Fatalf("step %q: err=%v, want error %v; output:\n%s\nwant match %s", st.name, err, st.wantErr, out, st.out)
		}
		if st.check != nil {
			st.check(t)
		}
	}
}

func TestStageMirrorAndBundle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	if err := Bundle(ctx, dir, "v1.31.5+k3s1"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(dir, "k3s"), "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "k3s version v1.31.5+k3s1 (") {
		t.Fatalf("bundle binary: %s %v", out, err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "install.sh,k3s" {
		t.Fatalf("bundle holds %v", names)
	}
}

// TestInstallScriptFailures pins the failure output of k3s's own install.sh
// (k3s-io/k3s, install.sh: info() writes to stdout, fatal() to stderr,
// download() says a bare "Download failed", and download_hash() ends the
// script silently under set -e when the hash file has no k3s line): the
// tool must show both streams for the user to see why an install stopped.
func TestInstallScriptFailures(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root := t.TempDir()
	if err := StageMirror(ctx, root, []string{"v1.31.4+k3s1"}, "v1.31.4+k3s1"); err != nil {
		t.Fatal(err)
	}
	noLine := filepath.Join(root, "k3s-io/k3s/releases/download/v1.31.6+k3s1")
	put := func(path, body string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put(filepath.Join(noLine, "sha256sum-amd64.txt"), strings.Repeat("0", 64)+"  k3s-airgap-images-amd64.tar\n")
	noBin := filepath.Join(root, "k3s-io/k3s/releases/download/v1.31.7+k3s1")
	put(filepath.Join(noBin, "sha256sum-amd64.txt"), strings.Repeat("0", 64)+"  k3s\n")
	srv := mirror(t, root)
	h := newFakeHost(t, srv)
	tests := []struct {
		name, version string
		stdoutLast    string // regexp for the last stdout line
		stderr        string // exactly
	}{
		{"hash file missing", "v9.9.9+k3s1", `^\[INFO\]  Downloading hash .*/download/v9\.9\.9\+k3s1/sha256sum-amd64\.txt$`, "[ERROR]  Download failed\n"},
		{"no k3s line in the hash file", "v1.31.6+k3s1", `^\[INFO\]  Downloading hash .*/download/v1\.31\.6\+k3s1/sha256sum-amd64\.txt$`, ""},
		{"binary missing", "v1.31.7+k3s1", `^\[INFO\]  Downloading binary .*/download/v1\.31\.7\+k3s1/k3s$`, "[ERROR]  Download failed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("sh", filepath.Join(root, "install.sh"))
			cmd.Env = append(append(cleanEnv(), h.env...), "INSTALL_K3S_VERSION="+tt.version)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1", err)
			}
			lines := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
			if last := lines[len(lines)-1]; !regexp.MustCompile(tt.stdoutLast).MatchString(last) {
				t.Errorf("last stdout line %q, want match %s", last, tt.stdoutLast)
			}
			if stderr.String() != tt.stderr {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.stderr)
			}
		})
	}
}

// TestUninstallKeepsNodePassword: k3s's uninstall script (install.sh,
// create_uninstall) removes /etc/rancher/k3s but keeps /etc/rancher/node.
func TestUninstallKeepsNodePassword(t *testing.T) {
	i := strings.Index(string(InstallScript), "<<UNINSTALL")
	j := strings.Index(string(InstallScript), "\nUNINSTALL\n")
	if i < 0 || j < i {
		t.Fatal("no uninstall script in install.sh")
	}
	body := string(InstallScript[i:j])
	if !strings.Contains(body, "rm -rf /etc/rancher/k3s ") || regexp.MustCompile(`rm [^\n]*/etc/rancher/node`).MatchString(body) {
		t.Errorf("uninstall must remove /etc/rancher/k3s and keep /etc/rancher/node:\n%s", body)
	}
}
