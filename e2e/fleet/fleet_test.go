package fleet

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAssignAddrs(t *testing.T) {
	tests := []struct {
		subnet                 string
		n                      int
		mirror, bastion        bool
		first, last, mir, bast string
		wantErr                bool
	}{
		{"172.18.0.0/16", 120, true, true, "172.18.0.10", "172.18.0.129", "172.18.0.2", "172.18.0.3", false},
		{"192.168.16.0/20", 240, false, false, "192.168.16.10", "192.168.16.249", "", "", false},
		{"10.1.2.0/24", 4, true, false, "10.1.2.10", "10.1.2.13", "10.1.2.2", "", false},
		{"10.1.2.0/28", 6, false, false, "", "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.subnet, func(t *testing.T) {
			f, err := newFleet(Options{Name: "x", N: tt.n, Mirror: tt.mirror, Bastion: tt.bastion}, "img")
			if err != nil {
				t.Fatal(err)
			}
			err = f.assignAddrs(netip.MustParsePrefix(tt.subnet))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			got := []string{f.Hosts[0].Addr, f.Hosts[tt.n-1].Addr, addrOf(f.Mirror), addrOf(f.Bastion)}
			want := []string{tt.first, tt.last, tt.mir, tt.bast}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("addresses %v, want %v", got, want)
			}
		})
	}
}

func addrOf(h *Host) string {
	if h == nil {
		return ""
	}
	return h.Addr
}

func TestInventoryYAML(t *testing.T) {
	f := &Fleet{Name: "demo", KeyPath: "/s/id_ed25519", KnownHostsPath: "/s/known_hosts",
		Hosts: []*Host{{Name: "pi-01", Addr: "10.0.0.10"}, {Name: "pi-02", Addr: "10.0.0.11"}}}
	head := "cluster:\n  name: demo\nssh:\n  user: pi\n  key: /s/id_ed25519\n  known_hosts: /s/known_hosts\nhosts:\n"
	tests := []struct {
		name, extra string
		hosts       []*Host
		want        string
	}{
		{"all", "", nil, head + "  - address: 10.0.0.10\n  - address: 10.0.0.11\n"},
		{"some", "", f.Hosts[1:], head + "  - address: 10.0.0.11\n"},
		{"extra", "k3s:\n  version: v1\n\n", f.Hosts[:1], head + "  - address: 10.0.0.10\nk3s:\n  version: v1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.InventoryYAML(tt.extra, tt.hosts...); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestScanMirror(t *testing.T) {
	tests := []struct {
		name, content, prefix, want string
	}{
		{"deb822", "Types: deb\nURIs: http://deb.debian.org/debian-security\n\nURIs: http://ftp.de.debian.org/debian\n", "URIs:", "http://ftp.de.debian.org/debian"},
		{"one-line with options", "# x\ndeb [signed-by=/k.gpg] https://mirror.example/debian bookworm main\n", "deb ", "https://mirror.example/debian"},
		{"none", "Types: deb\n", "URIs:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "sources")
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := scanMirror(p, tt.prefix); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHashInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	sum := func(salt string) string {
		s, err := hashInputs(dir, salt, ".")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	write("a.txt", "a", 0o644)
	write("files/b", "b", 0o644)
	base := sum("m")
	steps := []struct {
		name   string
		change func()
		salt   string
		same   bool
	}{
		{"unchanged", func() {}, "m", true},
		{"salt", func() {}, "other", false},
		{"content", func() { write("files/b", "B", 0o644) }, "m", false},
		{"mode", func() { write("files/b", "B", 0o755) }, "m", false},
		{"new file", func() { write("files/c", "", 0o644) }, "m", false},
	}
	prev := base
	for _, s := range steps {
		s.change()
		got := sum(s.salt)
		if (got == prev) != s.same {
			t.Errorf("%s: hash %s vs %s, want same=%v", s.name, got, prev, s.same)
		}
		prev = got
	}
}

func TestParseKV(t *testing.T) {
	kv := parseKV("state=running\nssh=active\nkey=ssh-ed25519 AAAA x=y\nnoise\nfailed=\n")
	want := map[string]string{"state": "running", "ssh": "active", "key": "ssh-ed25519 AAAA x=y", "failed": ""}
	for k, v := range want {
		if got, ok := kv[k]; !ok || got != v {
			t.Errorf("%s = %q (present %v), want %q", k, got, ok, v)
		}
	}
	if len(kv) != len(want) {
		t.Errorf("parsed %v", kv)
	}
}

func TestNewFleetNames(t *testing.T) {
	f, err := newFleet(Options{Name: "demo", N: 2, Mirror: true, Bastion: true}, "img")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range f.All() {
		got = append(got, h.Name+"="+h.Container)
	}
	want := "pi-01=k3suppi-demo-pi-01 pi-02=k3suppi-demo-pi-02 mirror=k3suppi-demo-mirror bastion=k3suppi-demo-bastion"
	if strings.Join(got, " ") != want {
		t.Errorf("hosts %v, want %s", got, want)
	}
	if filepath.Base(f.Dir) != "demo" || filepath.Base(filepath.Dir(f.Dir)) != ".fleet" || f.Host("mirror") != f.Mirror {
		t.Errorf("state dir %s, mirror %v", f.Dir, f.Host("mirror"))
	}
}

func TestStartRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"upper case", Options{Name: "Demo", N: 1}, "fleet name"},
		{"empty name", Options{N: 1}, "fleet name"},
		{"no hosts", Options{Name: "demo"}, "N=0"},
		{"too many", Options{Name: "demo", N: 241}, "N=241"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Start(t.Context(), tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
