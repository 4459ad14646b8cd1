package remote

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TestAcceptNewRecordsForOpenSSH: --accept-new-host-keys appends a line that
// x/crypto's knownhosts, ssh-keygen -F and ssh(1) all find, under the name
// OpenSSH looks up, whatever state the file was in.
func TestAcceptNewRecordsForOpenSSH(t *testing.T) {
	other := sshtest.NewKey(t).PublicKey()
	otherLine := knownhosts.Line([]string{"pi-99"}, other)
	tests := []struct {
		name    string
		file    string  // known_hosts path relative to HOME
		before  *string // content before; nil = no file
		config  string  // ssh_config body ({host} {port} = the server's); "" = none
		alias   string  // Target.Alias; "" = the server's address
		name22  string  // expected known_hosts name; {host} {port} as for config
		glueFix bool    // a newline must be added before the new line
	}{
		{name: "no trailing newline", file: ".ssh/known_hosts", before: ptr("# fleet\n" + otherLine),
			name22: "[{host}]:{port}", glueFix: true},
		{name: "empty file", file: ".ssh/known_hosts", before: ptr(""), name22: "[{host}]:{port}"},
		{name: "trailing newline", file: ".ssh/known_hosts", before: ptr(otherLine + "\n"), name22: "[{host}]:{port}"},
		{name: "missing file and directory", file: "new/dir/known_hosts", name22: "[{host}]:{port}"},
		{name: "alias with a different HostName", file: ".ssh/known_hosts", before: ptr(otherLine),
			config: "Host pi-01\n  HostName {host}\n  Port {port}\n", alias: "pi-01", name22: "[{host}]:{port}", glueFix: true},
		{name: "HostName in capitals", file: ".ssh/known_hosts",
			config: "Host pi-02\n  HostName LOCALHOST\n  Port {port}\n", alias: "pi-02", name22: "[localhost]:{port}"},
		{name: "HostKeyAlias", file: ".ssh/known_hosts",
			config: "Host pi-03\n  HostName {host}\n  Port {port}\n  HostKeyAlias Pi-03.Fleet\n", alias: "pi-03", name22: "pi-03.fleet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.server(sshtest.Config{})
			e.known = filepath.Join(e.home, tt.file)
			if tt.before != nil {
				if err := os.WriteFile(e.known, []byte(*tt.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			o := e.opts()
			tg := target(s)
			cfgFile := "none"
			if tt.config != "" {
				cfgFile = filepath.Join(e.home, "ssh_config")
				writeFile(t, cfgFile, expand(tt.config, s))
				o.SSHConfigFile, tg = cfgFile, Target{Alias: tt.alias}
			}
			o.AcceptNewHostKeys = true
			e.dial(tg, o)

			name := expand(tt.name22, s)
			want := knownhosts.Line([]string{name}, s.HostKey()) + "\n"
			if tt.before != nil {
				want = *tt.before + map[bool]string{true: "\n"}[tt.glueFix] + want
			}
			if got := e.readKnown(); got != want {
				t.Fatalf("known_hosts =\n%q\nwant\n%q", got, want)
			}
			checkMode(t, e.known, 0o600, tt.before != nil)
			if tt.before == nil {
				checkMode(t, filepath.Dir(e.known), os.ModeDir|0o700, false)
			}
			mustFind(t, e.known, name, s.HostKey())
			if tt.before != nil && *tt.before != "" {
				mustFind(t, e.known, "pi-99", other) // the old last line is intact
			}
			o.AcceptNewHostKeys = false
			e.dial(tg, o) // strict now, and nothing more written
			if got := e.readKnown(); got != want {
				t.Errorf("strict dial changed known_hosts:\n%q", got)
			}
			sshAgrees(t, e, cfgFile, tg, "yes")
		})
	}
}

// TestOpenSSHRecordedKeyAccepted: a key ssh(1) recorded with accept-new is
// what k3sup-pi finds, for an alias with a different HostName and for a
// HostKeyAlias. Without ssh(1) on the machine the entry is written as ssh
// would write it.
func TestOpenSSHRecordedKeyAccepted(t *testing.T) {
	for _, cfg := range []string{
		"Host pi-01\n  HostName {host}\n  Port {port}\n",
		"Host pi-01\n  HostName {host}\n  Port {port}\n  HostKeyAlias pi-01.fleet\n",
	} {
		e := newEnv(t)
		s := e.server(sshtest.Config{})
		cfgFile := filepath.Join(e.home, "ssh_config")
		writeFile(t, cfgFile, expand(cfg, s))
		tg := Target{Alias: "pi-01"}
		if !sshAgrees(t, e, cfgFile, tg, "accept-new") {
			name := knownHostsName(s.Host(), s.Port())
			if strings.Contains(cfg, "HostKeyAlias") {
				name = "pi-01.fleet"
			}
			e.appendKnown(knownhosts.Line([]string{name}, s.HostKey()))
		}
		before := e.readKnown()
		o := e.withConfig(cfgFile)
		e.dial(tg, o)
		if e.readKnown() != before {
			t.Errorf("known_hosts changed by a strict dial:\n%s", e.readKnown())
		}
	}
}

// TestAcceptNewConcurrent: 30 hosts accepted at once (as `up` dials them)
// give 30 whole lines, each found, after a last line without a newline.
func TestAcceptNewConcurrent(t *testing.T) {
	e := newEnv(t)
	writeFile(t, e.known, "# hand-edited, no newline at the end")
	const n = 30
	servers := make([]*sshtest.Server, n)
	for i := range servers {
		servers[i] = e.server(sshtest.Config{})
	}
	o := e.opts()
	o.AcceptNewHostKeys = true
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for _, s := range servers {
		for range 2 { // two dials per host: one line per host all the same
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := Dial(ctxT(t), target(s), o)
				if err != nil {
					errs <- err
					return
				}
				_ = c.Close()
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	lines := strings.Split(strings.TrimSuffix(e.readKnown(), "\n"), "\n")
	if len(lines) != n+1 || lines[0] != "# hand-edited, no newline at the end" {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), n+1, e.readKnown())
	}
	for _, s := range servers {
		mustFind(t, e.known, knownHostsName(s.Host(), s.Port()), s.HostKey())
	}
}

func ptr(s string) *string { return &s }

// expand fills {host} and {port} with s's address.
func expand(format string, s *sshtest.Server) string {
	return strings.NewReplacer("{host}", s.Host(), "{port}", strconv.Itoa(s.Port())).Replace(format)
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkMode: a new file is 0600; an existing file keeps its mode.
func checkMode(t *testing.T, path string, want os.FileMode, existed bool) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if existed {
		want = 0o644
	}
	if st.Mode()&(os.ModeDir|os.ModePerm) != want {
		t.Errorf("%s mode %v, want %v", path, st.Mode(), want)
	}
}

// mustFind checks that x/crypto's knownhosts parses file and knows key under
// name, and that ssh-keygen -F finds name in it when ssh-keygen is installed.
func mustFind(t *testing.T, file, name string, key ssh.PublicKey) {
	t.Helper()
	cb, err := knownhosts.New(file)
	if err != nil {
		t.Fatalf("knownhosts.New: %v", err)
	}
	host, port := name, "22"
	if h, p, err := net.SplitHostPort(name); err == nil {
		host, port = h, p
	}
	if err := cb(net.JoinHostPort(host, port), &net.TCPAddr{}, key); err != nil {
		t.Errorf("knownhosts: %s: %v", name, err)
	}
	kg, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Logf("no ssh-keygen: %v", err)
		return
	}
	out, err := exec.Command(kg, "-F", name, "-f", file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))) {
		t.Errorf("ssh-keygen -F %s -f %s: %v\n%s", name, file, err, out)
	}
}

// sshAgrees runs ssh(1) against s with e's key and known_hosts under
// StrictHostKeyChecking=strict; it reports false when ssh is not installed.
func sshAgrees(t *testing.T, e *env, cfgFile string, tg Target, strict string) bool {
	t.Helper()
	bin, err := exec.LookPath("ssh")
	if err != nil {
		t.Logf("no ssh: %v", err)
		return false
	}
	dest := []string{tg.Alias}
	if tg.Port != 0 {
		dest = []string{"-p", strconv.Itoa(tg.Port), tg.Alias}
	}
	args := append([]string{"-F", cfgFile, "-o", "UserKnownHostsFile=" + e.known,
		"-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=" + strict,
		"-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-o", "IdentitiesOnly=yes",
		"-o", "CheckHostIP=no", "-i", filepath.Join(e.home, ".ssh", "id_ed25519"), "-l", "pi"},
		append(dest, "true")...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return true
}

// TestUnknownHostNamesOpenSSHName: the refusal of an unknown key names the
// known_hosts name that would be looked up, and its ssh-keyscan line
// records the key under that name.
func TestUnknownHostNamesOpenSSHName(t *testing.T) {
	tests := []struct{ config, name, scan string }{
		{"Host pi-01\n  HostName {host}\n  Port {port}\n", "[{host}]:{port} is not in",
			"ssh-keyscan -p {port} {host} >> "},
		{"Host pi-01\n  HostName {host}\n  Port {port}\n  HostKeyAlias pi-01.fleet\n", "pi-01.fleet is not in",
			"ssh-keyscan -p {port} {host} | sed 's/^[^ ]*/pi-01.fleet/' >> "},
	}
	for _, tt := range tests {
		e := newEnv(t)
		s := e.server(sshtest.Config{})
		cfgFile := filepath.Join(e.home, "ssh_config")
		writeFile(t, cfgFile, expand(tt.config, s))
		_, err := Dial(ctxT(t), Target{Alias: "pi-01"}, e.withConfig(cfgFile))
		if err == nil {
			t.Fatal("unknown host accepted")
		}
		mustContain(t, err.Error(), "host key for pi-01 is unknown", expand(tt.name, s), expand(tt.scan, s))
	}
}

// TestAliasEntryHonoured: a key recorded under the alias (as earlier
// versions did) is accepted; strict mode leaves the file alone, accept-new
// adds the entry ssh(1) looks for.
func TestAliasEntryHonoured(t *testing.T) {
	for _, accept := range []bool{false, true} {
		e := newEnv(t)
		s := e.server(sshtest.Config{})
		cfgFile := filepath.Join(e.home, "ssh_config")
		writeFile(t, cfgFile, expand("Host pi-01\n  HostName {host}\n  Port {port}\n", s))
		aliasLine := knownhosts.Line([]string{knownHostsName("pi-01", s.Port())}, s.HostKey()) + "\n"
		writeFile(t, e.known, aliasLine)
		o := e.withConfig(cfgFile)
		o.AcceptNewHostKeys = accept
		e.dial(Target{Alias: "pi-01"}, o)
		want := aliasLine
		if accept {
			want += knownhosts.Line([]string{knownHostsName(s.Host(), s.Port())}, s.HostKey()) + "\n"
		}
		if got := e.readKnown(); got != want {
			t.Errorf("accept=%v: known_hosts =\n%q\nwant\n%q", accept, got, want)
		}
	}
}
