package steps

import (
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
)

const piLine = "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait\n"
const piLinePatched = "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory\n"

func TestPlanPrep(t *testing.T) {
	tests := []struct {
		name  string
		f     facts.Facts
		want  string
		check func(PrepPlan) bool
	}{
		{"fresh pi", facts.Facts{Hostname: "raspberrypi", CmdlinePath: "/boot/firmware/cmdline.txt", Cmdline: piLine},
			"", func(p PrepPlan) bool { return p.PatchCmdline && p.Reboot && p.SetHostname == "" }},
		{"patched and live", facts.Facts{Hostname: "pi1", CmdlinePath: "/boot/firmware/cmdline.txt", Cmdline: piLinePatched, MemoryCgroup: true},
			"pi1", func(p PrepPlan) bool { return p == PrepPlan{} }},
		{"patched, reboot pending", facts.Facts{CmdlinePath: "/boot/cmdline.txt", Cmdline: piLinePatched},
			"", func(p PrepPlan) bool {
				return !p.PatchCmdline && p.Reboot && strings.Contains(p.RebootReason, "pending")
			}},
		{"no cmdline.txt", facts.Facts{Hostname: "x86"}, "",
			func(p PrepPlan) bool { return p == PrepPlan{} }},
		{"ubuntu 22.04 on a pi needs the vxlan modules", facts.Facts{OSID: "ubuntu", OSVersionID: "22.04", Model: "Raspberry Pi 4 Model B Rev 1.4"}, "",
			func(p PrepPlan) bool { return p.VxlanModules && !p.Reboot }},
		{"ubuntu 24.04 does not", facts.Facts{OSID: "ubuntu", OSVersionID: "24.04", Model: "Raspberry Pi 5 Model B Rev 1.0"}, "",
			func(p PrepPlan) bool { return !p.VxlanModules }},
		{"rename", facts.Facts{Hostname: "raspberrypi", CmdlinePath: "/boot/firmware/cmdline.txt", Cmdline: piLinePatched, MemoryCgroup: true},
			"pi-07", func(p PrepPlan) bool { return p.SetHostname == "pi-07" && !p.Reboot }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PlanPrep(tt.f, tt.want)
			if err != nil || !tt.check(got) {
				t.Errorf("PlanPrep = %+v, %v", got, err)
			}
		})
	}
}

func TestPlanPrepRefusesTwoLines(t *testing.T) {
	f := facts.Facts{CmdlinePath: "/boot/firmware/cmdline.txt", Cmdline: piLine + "root=/dev/sda2\n"}
	if _, err := PlanPrep(f, ""); err == nil || !strings.Contains(err.Error(), "/boot/firmware/cmdline.txt") {
		t.Errorf("want an error naming the file, got %v", err)
	}
}

func TestPlanK3s(t *testing.T) {
	installed := facts.Facts{K3sVersion: "v1.31.4+k3s1", K3sRole: "server", ServiceActive: true, ConfigHash: "abc", K3sBinHash: "bin1"}
	with := func(mod func(*facts.Facts)) facts.Facts { f := installed; mod(&f); return f }
	tests := []struct {
		name    string
		f       facts.Facts
		w       K3sWant
		want    K3sPlan
		wantErr string
	}{
		{"fresh", facts.Facts{}, K3sWant{Role: "server", Version: "v1.31.4+k3s1", ConfigHash: "abc"},
			K3sPlan{Install: true, InstallReason: "k3s not installed", WriteConfig: true}, ""},
		{"healthy: nothing", installed, K3sWant{Role: "server", Version: "v1.31.4+k3s1", ConfigHash: "abc"}, K3sPlan{}, ""},
		{"channel install accepts any version", installed, K3sWant{Role: "server", ConfigHash: "abc"}, K3sPlan{}, ""},
		{"config changed: restart", installed, K3sWant{Role: "server", ConfigHash: "def"},
			K3sPlan{WriteConfig: true, Restart: true, RestartReason: "config changed"}, ""},
		{"node reports the installed version: nothing", installed, K3sWant{Role: "server", ConfigHash: "abc", NodeVersion: "v1.31.4+k3s1"}, K3sPlan{}, ""},
		{"upgrade while the old version runs: install (it restarts)", installed,
			K3sWant{Role: "server", Version: "v1.31.5+k3s1", ConfigHash: "abc", NodeVersion: "v1.31.4+k3s1"},
			K3sPlan{Install: true, InstallReason: "k3s v1.31.4+k3s1 -> v1.31.5+k3s1"}, ""},
		{"offline bundle on disk, old version runs: restart", with(func(f *facts.Facts) { f.K3sVersion = "v1.31.5+k3s1"; f.K3sBinHash = "bin2" }),
			K3sWant{Role: "server", BinaryHash: "bin2", ConfigHash: "abc", NodeVersion: "v1.31.4+k3s1"},
			K3sPlan{Restart: true, RestartReason: "the node runs k3s v1.31.4+k3s1, v1.31.5+k3s1 is installed"}, ""},
		{"deleted binary runs: restart", with(func(f *facts.Facts) { f.K3sStale = true }),
			K3sWant{Role: "server", ConfigHash: "abc", NodeVersion: "v1.31.4+k3s1"},
			K3sPlan{Restart: true, RestartReason: "the running k3s is a binary replaced since it started"}, ""},
		{"stale but stopped: start", with(func(f *facts.Facts) { f.K3sStale = true; f.ServiceActive = false }),
			K3sWant{Role: "server", ConfigHash: "abc", NodeVersion: "v1.31.3+k3s1"}, K3sPlan{Start: true}, ""},
		{"stale and config changed: one restart", with(func(f *facts.Facts) { f.K3sStale = true }),
			K3sWant{Role: "server", ConfigHash: "def"}, K3sPlan{WriteConfig: true, Restart: true, RestartReason: "config changed"}, ""},
		{"stopped: start", with(func(f *facts.Facts) { f.ServiceActive = false }), K3sWant{Role: "server", ConfigHash: "abc"},
			K3sPlan{Start: true}, ""},
		{"upgrade", installed, K3sWant{Role: "server", Version: "v1.31.5+k3s1", ConfigHash: "abc"},
			K3sPlan{Install: true, InstallReason: "k3s v1.31.4+k3s1 -> v1.31.5+k3s1"}, ""},
		{"offline binary differs", installed, K3sWant{Role: "server", BinaryHash: "bin2", ConfigHash: "abc"},
			K3sPlan{Install: true, InstallReason: "k3s binary differs from the bundle"}, ""},
		{"downgrade refused", installed, K3sWant{Role: "server", Version: "v1.30.9+k3s1"}, K3sPlan{}, "downgrades"},
		{"role switch refused", installed, K3sWant{Role: "agent"}, K3sPlan{}, "reset --host"},
		{"unknown config hash (dry run)", installed, K3sWant{Role: "server"}, K3sPlan{WriteConfig: true, Restart: true, RestartReason: "config changed"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PlanK3s(tt.f, tt.w)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("PlanK3s = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"v1.31.4+k3s1", "v1.31.4+k3s1", 0},
		{"v1.31.4+k3s1", "v1.31.5+k3s1", -1},
		{"v1.31.4+k3s2", "v1.31.4+k3s1", 1},
		{"v1.32.0+k3s1", "v1.31.9+k3s3", 1},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
