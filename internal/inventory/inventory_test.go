package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExampleIsValid(t *testing.T) {
	inv, err := Load("../../inventory.example.yml")
	if err != nil {
		t.Fatalf("inventory.example.yml must validate:\n%v", err)
	}
	expect(t, "servers", len(inv.Servers()), 1)
	expect(t, "agents", len(inv.Agents()), 3)
	var labels, taints, overrides int
	for _, h := range inv.Hosts {
		labels += len(h.Labels)
		taints += len(h.Taints)
		if h.User != "" || h.Port != 0 || h.Key != "" || h.ProxyJump != "" {
			overrides++
		}
	}
	if labels == 0 || taints == 0 || overrides != 1 {
		t.Errorf("example should show labels (%d), taints (%d) and one per-host SSH override (%d)", labels, taints, overrides)
	}
}

// TestExampleDocumentsEveryKey keeps inventory.example.yml in step with the schema.
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../../inventory.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	for section, keys := range schemaKeys() {
		for _, k := range keys {
			if !strings.Contains(string(data), k+":") {
				t.Errorf("inventory.example.yml does not mention %s key %q", section, k)
			}
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("want a not-exist error, got %v", err)
	}
	var ie *Error
	if errors.As(err, &ie) {
		t.Fatalf("a missing file is not an inventory *Error: %v", err)
	}
}

func TestHostLookup(t *testing.T) {
	inv, err := Parse("inv.yml", []byte("hosts:\n  - {address: 10.0.0.1, hostname: pi-1}\n  - address: 10.0.0.2\n  - {address: pi3.lan, role: server}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query, want string
		found       bool
	}{
		{"pi-1", "10.0.0.1", true},
		{"PI-1", "10.0.0.1", true},
		{"10.0.0.1", "10.0.0.1", true},
		{"10.0.0.2", "10.0.0.2", true},
		{"pi3.lan", "pi3.lan", true},
		{"pi-9", "", false},
	}
	for _, tt := range tests {
		h, ok := inv.Host(tt.query)
		if ok != tt.found || h.Address != tt.want {
			t.Errorf("Host(%q) = %q, %v; want %q, %v", tt.query, h.Address, ok, tt.want, tt.found)
		}
	}
	expect(t, "name with hostname", inv.Hosts[0].Name(), "pi-1")
	expect(t, "name without", inv.Hosts[1].Name(), "10.0.0.2")
	expect(t, "servers", fmt.Sprintln(len(inv.Servers()), inv.Servers()[0].Address), "1 pi3.lan\n")
	expect(t, "agents", len(inv.Agents()), 2)
}

// TestNamesAreUnique: hosts sharing an address on different ports get
// distinct Names, and each name selects one host.
func TestNamesAreUnique(t *testing.T) {
	inv, err := Parse("inv.yml", []byte("ssh: {port: 2200}\nhosts:\n  - address: 10.0.0.1\n  - {address: 10.0.0.1, port: 2222}\n  - {address: \"fd00::1\", hostname: pi-6}\n  - {address: \"fd00::1\", port: 23}\n  - address: 10.0.0.2\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.1:2200", "10.0.0.1:2222", "pi-6", "[fd00::1]:23", "10.0.0.2"}
	for i, h := range inv.Hosts {
		expect(t, fmt.Sprintf("hosts[%d].Name()", i), h.Name(), want[i])
		got, ok := inv.Host(h.Name())
		expect(t, "Host("+h.Name()+")", ok && got.Line == h.Line, true)
	}
	tests := []struct {
		query string
		n     int
	}{
		{"10.0.0.1", 2}, {"fd00:0::1", 2}, {"[fd00::1]:2200", 1}, {"[FD00::1]:23", 1}, {"10.0.0.1:22", 0}, {"10.0.0.2:2200", 1},
	}
	for _, tt := range tests {
		expect(t, "len(Matches("+tt.query+"))", len(inv.Matches(tt.query)), tt.n)
	}
	_, err = inv.Select([]string{"10.0.0.1"})
	var se *SelectError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), `"10.0.0.1" is ambiguous in inv.yml: it is the address of 10.0.0.1:2200 and 10.0.0.1:2222`) {
		t.Errorf("Select(shared address) = %v", err)
	}
}

func TestTokenValue(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("tok", "  K10abc::server:xyz\n")
	write("empty", "\n")
	tests := []struct {
		name    string
		cluster Cluster
		want    string
		wantErr bool
	}{
		{"neither", Cluster{}, "", false},
		{"token", Cluster{Token: "t"}, "t", false},
		{"relative file", Cluster{TokenFile: "tok"}, "K10abc::server:xyz", false},
		{"empty file", Cluster{TokenFile: "empty"}, "", true},
		{"missing file", Cluster{TokenFile: "nope"}, "", true},
	}
	for _, tt := range tests {
		inv := &Inventory{Cluster: tt.cluster, dir: dir}
		got, err := inv.TokenValue()
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s: TokenValue() = %q, %v", tt.name, got, err)
		}
	}
}

func TestPathsExpanded(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	dir := t.TempDir()
	writeBundle(t, filepath.Join(dir, "b"))
	// Load checks that the files exist (issue 9 item 16).
	writeFile(t, filepath.Join(home, ".ssh/id"), testKey)
	writeFile(t, filepath.Join(home, "pw"), "pw\n")
	writeFile(t, filepath.Join(dir, "cfg"), "Host *\n")
	writeFile(t, filepath.Join(dir, "k/id"), testKey)
	data := "cluster:\n  kubeconfig: out/kc\n  install: {source: offline, bundle_dir: b}\n" +
		"ssh:\n  key: ~/.ssh/id\n  known_hosts: /etc/kh\n  config_file: cfg\n  sudo_password_file: ~/pw\n" +
		"hosts:\n  - {address: a, key: k/id}\n"
	inv, err := Parse(filepath.Join(dir, "inventory.yml"), []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "kubeconfig", inv.Cluster.Kubeconfig, filepath.Join(dir, "out/kc"))
	expect(t, "bundle", inv.Cluster.Install.BundleDir, filepath.Join(dir, "b"))
	expect(t, "key", inv.SSH.Key, filepath.Join(home, ".ssh/id"))
	expect(t, "known_hosts", inv.SSH.KnownHosts, "/etc/kh")
	expect(t, "config", inv.SSH.ConfigFile, filepath.Join(dir, "cfg"))
	expect(t, "sudo file", inv.SSH.SudoPasswordFile, filepath.Join(home, "pw"))
	expect(t, "host key", inv.Hosts[0].Key, filepath.Join(dir, "k/id"))
}

func TestSecretsNeverPrinted(t *testing.T) {
	inv := &Inventory{Cluster: Cluster{Name: "lab", Token: "S3CRET", DatastoreEndpoint: "postgres://u:S3CRET@db/k3s"}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, x := range []any{inv, *inv, inv.Cluster, &inv.Cluster} {
			if out := fmt.Sprintf(verb, x); strings.Contains(out, "S3CRET") || !strings.Contains(out, "lab") {
				t.Errorf("%s of %T leaks a secret or lost the name: %s", verb, x, out)
			}
		}
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("K3SUP_PI_INVENTORY", "")
	expect(t, "default", DefaultPath(), "./inventory.yml")
	t.Setenv("K3SUP_PI_INVENTORY", "/srv/lab.yml")
	expect(t, "env", DefaultPath(), "/srv/lab.yml")
}

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "inv.yml", Problems: []Problem{
		{Line: 3, Col: 5, Path: "ssh.port", Msg: "bad"},
		{Path: "cluster.batch_size", Msg: "from a flag"},
		{Line: 1, Col: 1, Msg: "no path"},
	}}
	want := "inv.yml:3:5: ssh.port: bad\ninv.yml: cluster.batch_size: from a flag\ninv.yml:1:1: no path"
	expect(t, "Error()", e.Error(), want)
}

// testKey has the shape of an OpenSSH private key, enough for Load's check.
const testKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"

// writeFile writes content to path, creating its directory.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestInstallOffline(t *testing.T) {
	for _, tt := range []struct {
		source string
		want   bool
	}{{SourceOffline, true}, {SourceOnline, false}, {"", false}} {
		if got := (Install{Source: tt.source}).Offline(); got != tt.want {
			t.Errorf("Install{Source: %q}.Offline() = %v, want %v", tt.source, got, tt.want)
		}
	}
}
