package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestJoinFailures checks that agents fail the way k3s agents fail: they
// never exit and never signal READY, whatever is wrong, and say why in the
// log again and again (k3s-io/k3s pkg/agent/run.go retries every 2 s,
// pkg/agent/config/config.go every 5 s).
func TestJoinFailures(t *testing.T) {
	c := newCluster(t)
	s := c.server("srv", nil, "--token", "right")
	good := s.nodeToken(t)
	hash := strings.TrimSuffix(good, "::server:right")
	otherHash := "K10" + strings.Repeat("0", 64)
	const failed = `level=error msg="Failed to validate connection to cluster at https://[0-9.]+:6443: `
	cases := []struct {
		name     string
		url, tok string
		log      string
	}{
		{"wrong secret", s.url(), hash + "::server:wrong",
			failed + `token is not valid: https://[0-9.]+:6443/cacerts: 401 Unauthorized"`},
		{"wrong bare secret", s.url(), "wrong", failed + `token is not valid: .*401 Unauthorized`},
		{"wrong CA hash", s.url(), otherHash + "::server:right",
			failed + `token CA hash does not match the Cluster CA certificate hash: 0+ != [0-9a-f]{64}`},
		{"unreachable", "https://" + newIP() + ":6443", good,
			failed + `failed to get CA certs: Get \\"https://[0-9.]+:6443/cacerts\\": dial tcp [0-9.:]+: connect: connection refused"`},
		{"duplicate name", s.url(), good,
			`Waiting to retrieve agent configuration; server is not ready: Node password rejected, duplicate hostname or contents of '/etc/rancher/node/password' may not match server node-passwd entry`},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "bad-" + string(rune('a'+i))
			if tc.name == "duplicate name" {
				name = "srv"
			}
			a := c.agent("v1.31.4+k3s1", name, tc.url, tc.tok, nil)
			re := regexp.MustCompile(tc.log)
			// Twice: the agent logs the failure, waits and tries again.
			eventually(t, 20*time.Second, "log twice "+tc.log, func() bool { return len(re.FindAllString(a.log.String(), 2)) == 2 })
			if exited, err := a.exited(500 * time.Millisecond); exited {
				t.Fatalf("the agent exited (%v); k3s agents retry for ever; log:\n%s", err, a.log.String())
			}
			if a.ready(100 * time.Millisecond) {
				t.Fatalf("agent signalled READY although it could not join")
			}
		})
	}
}

// TestServerFiles checks token, node-token and kubeconfig contents and modes.
func TestServerFiles(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		secret   string
		kubeMode os.FileMode
	}{
		{"given token", []string{"--token", "abc123"}, "abc123", 0o600},
		{"random token, mode 644", []string{"--write-kubeconfig-mode", "0644"}, "[0-9a-f]{32}", 0o644},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t)
			s := c.server("srv", nil, tc.args...)
			ca, err := os.ReadFile(s.file("var/lib/rancher/k3s/server/tls/server-ca.crt"))
			if err != nil {
				t.Fatal(err)
			}
			want := regexp.MustCompile("^K10" + caHash(ca) + "::server:" + tc.secret + "\n$")
			for _, f := range []string{"token", "node-token"} {
				path := s.file("var/lib/rancher/k3s/server/" + f)
				checkFile(t, path, 0o600, want)
			}
			kc := regexp.MustCompile(`(?s)server: https://` + regexp.QuoteMeta(s.ip) +
				`:6443\n  name: default\n.*current-context: default\n.*client-certificate-data: `)
			checkFile(t, s.file("etc/rancher/k3s/k3s.yaml"), tc.kubeMode, kc)
			checkFile(t, s.file("etc/rancher/node/password"), 0o600, regexp.MustCompile(`^[0-9a-f]{32}\n$`))
		})
	}
}

func checkFile(t *testing.T, path string, mode os.FileMode, re *regexp.Regexp) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if st.Mode().Perm() != mode {
		t.Errorf("%s: mode %o, want %o", filepath.Base(path), st.Mode().Perm(), mode)
	}
	b, _ := os.ReadFile(path)
	if !re.Match(b) {
		t.Errorf("%s: content %q does not match %s", filepath.Base(path), b, re)
	}
}
