package preflight

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// captured parses a facts capture shared with the facts package's tests.
func captured(t *testing.T, name string) facts.Facts {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "facts", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	f, err := facts.Parse(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

// summary lists findings as "check/severity" for exact comparison.
func summary(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Check+"/"+f.Severity.String())
	}
	return out
}

const (
	pi4      = "pi4-bookworm-arm64.txt"
	piZero   = "pizero-armv6l.txt"
	ubuntuP5 = "ubuntu-2510-pi5.txt"
	x86      = "x86-no-cmdline.txt"
	pi4K3s   = "pi4-k3s-server.txt"
	alpine   = "alpine-openrc-pi4.txt"
)

func TestCheckHost(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		role    role.Role
		etcd    bool
		opt     Options
		mutate  func(*facts.Facts)
		want    []string
		wantMsg string // a phrase the first finding must contain
	}{
		{name: "pi4 4GB server", file: pi4, role: "server", want: []string{}},
		{name: "pi4 k3s server", file: pi4K3s, role: "server", etcd: true, want: []string{}},
		{name: "armv6l Pi Zero refused", file: piZero, role: "agent", want: []string{"arch/error"},
			wantMsg: "Raspberry Pi Zero W Rev 1.1 is armv6"},
		{name: "armv6 without model", file: piZero, role: "agent", mutate: func(f *facts.Facts) { f.Model = "" },
			want: []string{"arch/error"}, wantMsg: "this board is armv6"},
		{name: "riscv64 refused", file: x86, role: "agent", mutate: func(f *facts.Facts) { f.Arch = "riscv64" },
			want: []string{"arch/error", "cmdline/info"}, wantMsg: `"riscv64"`},
		{name: "armv7l fine", file: pi4, role: "agent", mutate: func(f *facts.Facts) { f.Arch = "armv7l" }, want: []string{}},
		{name: "ubuntu 25.10 needs sudo password", file: ubuntuP5, role: "server", want: []string{"sudo/info"},
			wantMsg: `user "ubuntu"`},
		{name: "x86 without cmdline.txt", file: x86, role: "agent", want: []string{"cmdline/info"},
			wantMsg: "not a Pi boot partition"},
		{name: "no cmdline.txt and memory cgroup off", file: x86, role: "agent",
			mutate: func(f *facts.Facts) { f.MemoryCgroup = false }, want: []string{"cmdline/error"}},
		{name: "1 GB server refused", file: pi4, role: "server", mutate: func(f *facts.Facts) { f.MemTotalKB = 944268 },
			want: []string{"memory/error"}, wantMsg: "922 MiB"},
		{name: "1 GB server allowed", file: pi4, role: "server", opt: Options{AllowLowMemory: true},
			mutate: func(f *facts.Facts) { f.MemTotalKB = 944268 }, want: []string{"memory/warning"}},
		{name: "2 GB server warned", file: pi4, role: "server", mutate: func(f *facts.Facts) { f.MemTotalKB = 1894000 },
			want: []string{"memory/warning"}, wantMsg: "4 GB is advised"},
		{name: "1 GB agent fine", file: pi4, role: "agent", mutate: func(f *facts.Facts) { f.MemTotalKB = 944268 }, want: []string{}},
		{name: "256 MB agent refused", file: pi4, role: "agent", mutate: func(f *facts.Facts) { f.MemTotalKB = 228000 },
			want: []string{"memory/error"}},
		{name: "memory unknown", file: pi4, role: "agent", mutate: func(f *facts.Facts) { f.MemTotalKB = facts.Unknown },
			want: []string{"memory/warning"}},
		{name: "no systemd", file: pi4, role: "agent", mutate: func(f *facts.Facts) { f.InitSystem = "other" },
			want: []string{"init/error"}, wantMsg: "k3sup-pi needs systemd"},
		{name: "Alpine with OpenRC refused", file: alpine, role: "agent", want: []string{"init/error"},
			wantMsg: "k3sup-pi needs systemd, and this host runs OpenRC (Alpine?)"},
		{name: "OpenRC server refused too", file: alpine, role: "server", want: []string{"init/error"},
			wantMsg: "runs OpenRC"},
		{name: "ubuntu 22.04 on a Pi", file: ubuntuP5, role: "agent",
			mutate: func(f *facts.Facts) { f.OSVersionID, f.SudoNoPass = "22.04", true },
			want:   []string{"vxlan-module/info"}, wantMsg: "linux-modules-extra-raspi"},
		{name: "ubuntu 22.04 off a Pi", file: x86, role: "agent",
			mutate: func(f *facts.Facts) { f.OSID, f.OSVersionID = "ubuntu", "22.04" }, want: []string{"cmdline/info"}},
		{name: "SD card etcd warned", file: pi4, role: "server", etcd: true, want: []string{"etcd-storage/warning"},
			wantMsg: "/dev/mmcblk0p2"},
		{name: "SD card behind /dev/root", file: pi4, role: "server", etcd: true,
			mutate: func(f *facts.Facts) { f.DataDirSource, f.ProcCmdline = "/dev/root", "root=/dev/mmcblk0p2 rootwait" },
			want:   []string{"etcd-storage/warning"}},
		{name: "SD card agent not warned", file: pi4, role: "agent", etcd: true, want: []string{}},
		{name: "SD card without etcd", file: pi4, role: "server", want: []string{}},
		{name: "disk full", file: pi4, role: "agent",
			mutate: func(f *facts.Facts) { f.FreeVarLibKB, f.FreeBinKB = 512*1024, 100*1024 },
			want:   []string{"disk-space/error", "disk-space/error"}, wantMsg: "512 MiB free under /var/lib"},
		{name: "disk unknown", file: pi4, role: "agent", mutate: func(f *facts.Facts) { f.FreeBinKB = facts.Unknown },
			want: []string{"disk-space/info"}},
		{name: "bad role", file: pi4, role: "master", want: []string{"role/error"}},
		{name: "boot partition not mounted", file: pi4, role: "agent", mutate: func(f *facts.Facts) { f.CmdlineMount, f.CmdlineFSType = "/", "ext4" },
			want: []string{"boot-partition/error"}, wantMsg: "boot partition not mounted at /boot/firmware (cmdline.txt found on the root file system)"},
		{name: "not mounted, bookworm stub in /boot chosen", file: pi4, role: "agent",
			mutate: func(f *facts.Facts) {
				f.CmdlinePath, f.CmdlineMount, f.CmdlineFSType = "/boot/cmdline.txt", "/", "ext4"
			},
			want: []string{"boot-partition/error"}, wantMsg: "not mounted at /boot/firmware (/boot/cmdline.txt is on the root file system)"},
		{name: "ubuntu 25.10: the partition is /boot/firmware", file: ubuntuP5, role: "agent",
			mutate: func(f *facts.Facts) { f.CmdlineMount, f.CmdlineFSType, f.SudoNoPass = "/", "ext4", true },
			want:   []string{"boot-partition/error"}, wantMsg: "not mounted at /boot/firmware (/boot/firmware/current/cmdline.txt is on the root"},
		{name: "network boot: an nfs boot directory is fine", file: pi4, role: "agent", mutate: func(f *facts.Facts) { f.CmdlineFSType = "nfs4" },
			want: []string{}},
		{name: "mount unknown: nothing said", file: pi4, role: "agent", mutate: func(f *facts.Facts) { f.CmdlineMount, f.CmdlineFSType = "", "" },
			want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := captured(t, tt.file)
			if tt.mutate != nil {
				tt.mutate(&f)
			}
			got := CheckHost(Input{Host: "pi-01", Role: tt.role, Facts: f, EmbeddedEtcd: tt.etcd}, tt.opt)
			if s := summary(got); !reflect.DeepEqual(s, tt.want) {
				t.Fatalf("findings %v, want %v\n%v", s, tt.want, got)
			}
			for _, fd := range got {
				if fd.Host != "pi-01" || fd.Msg == "" {
					t.Errorf("finding without host or message: %+v", fd)
				}
				if fd.Severity != Info && fd.Fix == "" {
					t.Errorf("finding without a fix: %v", fd)
				}
			}
			if tt.wantMsg != "" && !strings.Contains(got[0].Msg, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", got[0].Msg, tt.wantMsg)
			}
		})
	}
}

func TestFindingStringAndErrors(t *testing.T) {
	fs := []Finding{
		{Host: "pi-01", Severity: Warning, Check: "memory", Msg: "low", Fix: "buy"},
		{Severity: Error, Check: "hostname", Msg: "dup"},
		{Host: "pi-02", Severity: Info, Check: "cmdline", Msg: "none"},
	}
	want := []string{
		"pi-01: warning: memory: low (fix: buy)",
		"fleet: error: hostname: dup",
		"pi-02: info: cmdline: none",
	}
	for i, f := range fs {
		if got := f.String(); got != want[i] {
			t.Errorf("String() = %q, want %q", got, want[i])
		}
	}
	if errs := Errors(fs); len(errs) != 1 || errs[0].Check != "hostname" {
		t.Errorf("Errors = %v", errs)
	}
	if got := Severity(7).String(); got != "severity(7)" {
		t.Errorf("Severity(7) = %q", got)
	}
}
