package preflight

import (
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
)

func TestMemoryCgroupAfterReboot(t *testing.T) {
	const patched = "console=tty1 root=PARTUUID=4e639091-02 rootwait cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory\n"
	tests := []struct {
		name    string
		file    string
		mutate  func(*facts.Facts)
		wantMsg string // "" when the cgroup is on and no finding is expected
		wantFix string
	}{
		{name: "on after the patch", file: pi4K3s},
		{name: "Pi 5 firmware disables after the enable", file: ubuntuP5,
			mutate: func(f *facts.Facts) {
				f.Cmdline = patched
				f.ProcCmdline = "reboot=w coherent_pool=1M " + strings.TrimSpace(patched) + " cgroup_disable=memory\n"
			},
			wantMsg: "cgroup_disable=memory after the last cgroup_enable=memory",
			wantFix: "move cgroup_enable=memory to the end of the line in /boot/firmware/current/cmdline.txt"},
		{name: "disable in a comma list", file: pi4,
			mutate: func(f *facts.Facts) {
				f.Cmdline = patched
				f.ProcCmdline = "cgroup_enable=memory cgroup_disable=cpu,memory"
			},
			wantMsg: "Pi 5 firmware"},
		{name: "edit not on the boot partition that was used", file: pi4,
			mutate:  func(f *facts.Facts) { f.Cmdline = patched },
			wantMsg: "did not boot from that file", wantFix: "boot partition the firmware really uses"},
		{name: "patch missing", file: pi4,
			wantMsg: "/boot/firmware/cmdline.txt does not carry it", wantFix: "patch cmdline.txt"},
		{name: "flags present yet off", file: pi4,
			mutate:  func(f *facts.Facts) { f.Cmdline = patched; f.ProcCmdline = "cgroup_disable=memory " + patched },
			wantMsg: "yet the memory controller is off (/sys/fs/cgroup/cgroup.controllers)", wantFix: "CONFIG_MEMCG"},
		{name: "no cmdline.txt", file: x86,
			mutate:  func(f *facts.Facts) { f.MemoryCgroup = false },
			wantMsg: "there is no cmdline.txt", wantFix: "bootloader"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := captured(t, tt.file)
			if tt.mutate != nil {
				tt.mutate(&f)
			}
			got := MemoryCgroupAfterReboot("pi-05", f)
			if tt.wantMsg == "" {
				if got != nil {
					t.Fatalf("unexpected finding: %v", got)
				}
				return
			}
			if got == nil {
				t.Fatal("no finding, want an error")
			}
			if got.Host != "pi-05" || got.Severity != Error || got.Check != "memory-cgroup" {
				t.Errorf("finding %+v", got)
			}
			if !strings.Contains(got.Msg, tt.wantMsg) || !strings.Contains(got.Fix, tt.wantFix) {
				t.Errorf("got %v\nwant message with %q and fix with %q", got, tt.wantMsg, tt.wantFix)
			}
		})
	}
}
