package facts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCaptured(t *testing.T) {
	tests := []struct {
		file string
		want Facts
	}{
		{"pi4-bookworm-arm64.txt", Facts{
			Arch: "aarch64", KernelRelease: "6.6.51+rpt-rpi-v8", OSID: "debian", OSVersionID: "12",
			OSPretty: "Debian GNU/Linux 12 (bookworm)", Model: "Raspberry Pi 4 Model B Rev 1.5",
			MemTotalKB: 3881924, Hostname: "raspberrypi", InitSystem: "systemd", User: "pi",
			SudoNoPass: true, Privileged: true,
			BootDir: "/boot/firmware", CmdlinePath: "/boot/firmware/cmdline.txt", CmdlineMount: "/boot/firmware", CmdlineFSType: "vfat",
			Cmdline:  "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet splash plymouth.ignore-serial-consoles cfg80211.ieee80211_regdom=GB\n",
			CgroupV2: true, DataDirSource: "/dev/mmcblk0p2", FreeVarLibKB: 24117248, FreeBinKB: 24117248,
			UnixTime: 1767225600, KernelBootID: "0b6a1c2e-5f4d-4b0a-9c1e-2d3f4a5b6c7d",
		}},
		{"pizero-armv6l.txt", Facts{
			Arch: "armv6l", KernelRelease: "6.6.51+rpt-rpi-v6", OSID: "raspbian", OSVersionID: "12",
			OSPretty: "Raspbian GNU/Linux 12 (bookworm)", Model: "Raspberry Pi Zero W Rev 1.1",
			MemTotalKB: 439592, Hostname: "raspberrypi", InitSystem: "systemd", User: "pi",
			SudoNoPass: true, Privileged: true,
			BootDir: "/boot/firmware", CmdlinePath: "/boot/firmware/cmdline.txt", CmdlineMount: "/boot/firmware", CmdlineFSType: "vfat",
			Cmdline:  "console=serial0,115200 console=tty1 root=PARTUUID=8a438930-02 rootfstype=ext4 fsck.repair=yes rootwait\n",
			CgroupV2: true, DataDirSource: "/dev/mmcblk0p2", FreeVarLibKB: 11534336, FreeBinKB: 11534336,
			UnixTime: 1767225603, KernelBootID: "a1b2c3d4-e5f6-4711-8899-aabbccddeeff",
		}},
		{"ubuntu-2510-pi5.txt", Facts{
			Arch: "aarch64", KernelRelease: "6.17.0-1004-raspi", OSID: "ubuntu", OSVersionID: "25.10",
			OSPretty: "Ubuntu 25.10", Model: "Raspberry Pi 5 Model B Rev 1.0",
			MemTotalKB: 8245180, Hostname: "ubuntu", InitSystem: "systemd", User: "ubuntu", Privileged: true,
			BootDir: "/boot/firmware", CmdlinePath: "/boot/firmware/current/cmdline.txt", CmdlineMount: "/boot/firmware", CmdlineFSType: "vfat",
			Cmdline:  "console=serial0,115200 multipath=off dwc_otg.lpm_enable=0 console=tty1 root=LABEL=writable rootfstype=ext4 panic=10 rootwait fixrtc cfg80211.ieee80211_regdom=DE\n",
			CgroupV2: true, DataDirSource: "/dev/nvme0n1p2", FreeVarLibKB: 221249536, FreeBinKB: 221249536,
			UnixTime: 1767225601, KernelBootID: "5e1d0c3b-7a69-4f48-8d2c-1b0a99887766",
		}},
		{"x86-no-cmdline.txt", Facts{
			Arch: "x86_64", KernelRelease: "6.1.0-28-amd64", OSID: "debian", OSVersionID: "12",
			OSPretty: "Debian GNU/Linux 12 (bookworm)", MemTotalKB: 16318412, Hostname: "nuc-01",
			InitSystem: "systemd", User: "root", IsRoot: true, SudoNoPass: true, Privileged: true,
			BootDir: "/boot/firmware", CgroupV2: true, MemoryCgroup: true, DataDirSource: "/dev/sda2",
			FreeVarLibKB: 402653184, FreeBinKB: 402653184, UnixTime: 1767225600,
			KernelBootID: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
		}},
		{"pi4-k3s-server.txt", Facts{
			Arch: "aarch64", KernelRelease: "6.6.51+rpt-rpi-v8", OSID: "debian", OSVersionID: "12",
			OSPretty: "Debian GNU/Linux 12 (bookworm)", Model: "Raspberry Pi 4 Model B Rev 1.4",
			MemTotalKB: 7998244, Hostname: "pi-01", InitSystem: "systemd", User: "pi",
			SudoNoPass: true, Privileged: true,
			BootDir: "/boot/firmware", CmdlinePath: "/boot/firmware/cmdline.txt", CmdlineMount: "/boot/firmware", CmdlineFSType: "vfat",
			Cmdline:    "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory\n",
			CmdlineBak: true, CgroupV2: true, MemoryCgroup: true,
			CmdlineBackup: "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait\n",
			K3sVersion:    "v1.31.4+k3s1", K3sRole: "server", ServiceActive: true, ServiceStarted: "183456789012",
			K3sBinHash:    "0c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d",
			ConfigHash:    "5f2b7c9d1e3a4b6c8d0e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c",
			ConfigPresent: true, DataDirSource: "/dev/sda2", FreeVarLibKB: 98566144, FreeBinKB: 98566144,
			UnixTime: 1767225605, BootID: "3c1f6a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
			KernelBootID: "3c1f6a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Parse(readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got.ProcCmdline = "" // long; checked in TestParseProcCmdline
			if got != tt.want {
				t.Errorf("Parse mismatch\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseProcCmdline(t *testing.T) {
	got, err := Parse(readTestdata(t, "ubuntu-2510-pi5.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.ProcCmdline, "reboot=w coherent_pool=1M") || !strings.Contains(got.ProcCmdline, " cgroup_disable=memory ") {
		t.Errorf("ProcCmdline = %q", got.ProcCmdline)
	}
}

// valid is a minimal complete output; tests below break one line of it.
func valid() string {
	var b strings.Builder
	b.WriteString(header + "\n")
	for k := range fields {
		switch k {
		case "init_system":
			b.WriteString(k + "=systemd\n")
		case "is_root", "sudo_nopass", "privileged", "cmdline_bak", "cgroup_v2", "memory_cgroup", "service_active", "config_present", "k3s_stale":
			b.WriteString(k + "=0\n")
		default:
			b.WriteString(k + "=\n")
		}
	}
	b.WriteString(trailer + "\n")
	return b.String()
}

func TestParseErrors(t *testing.T) {
	base := valid()
	replace := func(old, repl string) string { return strings.Replace(base, old, repl, 1) }
	tests := []struct {
		name, out, wantErr string
	}{
		{"empty", "", "no k3sup_pi_facts header"},
		{"newer format", "k3sup_pi_facts=2\nend=ok\n", "line 1"},
		{"truncated", strings.TrimSuffix(base, trailer+"\n"), "truncated"},
		{"no equals", replace("arch=\n", "arch\n"), `"arch": want key=value`},
		{"bad key", replace("arch=\n", "Arch=x\narch=\n"), "bad key"},
		{"bad bool", replace("is_root=0\n", "is_root=yes\n"), `"is_root=yes": want 0 or 1`},
		{"bad int", replace("mem_total_kb=\n", "mem_total_kb=12k\n"), "mem_total_kb=12k"},
		{"negative int", replace("unix_time=\n", "unix_time=-3\n"), "unix_time=-3"},
		{"bad hex", replace("cmdline_hex=\n", "cmdline_hex=zz\n"), "bad hex"},
		{"odd hex", replace("model_hex=\n", "model_hex=abc\n"), "model_hex=abc"},
		{"bad init", replace("init_system=systemd\n", "init_system=runit\n"), "want one of"},
		{"bad role", replace("k3s_role=\n", "k3s_role=master\n"), "k3s_role=master"},
		{"bad hash", replace("config_hash=\n", "config_hash=abc\n"), "sha256"},
		{"duplicate", replace("arch=\n", "arch=\narch=x86_64\n"), "duplicate key"},
		{"missing", replace("hostname=\n", ""), "missing keys: hostname"},
		{"blank line", replace("arch=\n", "\narch=\n"), "want key=value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.out))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseValidBase(t *testing.T) {
	f, err := Parse([]byte(valid()))
	if err != nil {
		t.Fatal(err)
	}
	if f.MemTotalKB != Unknown || f.FreeBinKB != Unknown || f.UnixTime != Unknown {
		t.Errorf("empty integers should be Unknown: %+v", f)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"pi4-bookworm-arm64.txt", "pizero-armv6l.txt", "ubuntu-2510-pi5.txt", "x86-no-cmdline.txt", "pi4-k3s-server.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(valid()))
	f.Fuzz(func(t *testing.T, out []byte) {
		got, err := Parse(out)
		if err != nil {
			if got != (Facts{}) {
				t.Errorf("Parse returned facts with an error: %+v", got)
			}
			return
		}
		if !strings.Contains(string(out), header) || !strings.Contains(string(out), trailer) {
			t.Errorf("Parse accepted output without header or trailer")
		}
		for _, s := range []string{got.Arch, got.Hostname, got.User, got.CmdlinePath, got.DataDirSource} {
			if strings.ContainsAny(s, "\n") {
				t.Errorf("plain value with a newline: %q", s)
			}
		}
	})
}
