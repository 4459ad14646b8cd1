package facts

import (
	"os"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

const standInK3s = "#!/bin/sh\necho 'k3s version v1.31.4+k3s1 (a1b2c3d4)'\necho 'go version go1.22.9'\n"

// pi4 is a Raspberry Pi 4 on Pi OS bookworm with k3s installed as a server.
func pi4() map[string]string {
	return map[string]string{
		osRelease:                           bookworm,
		"/proc/device-tree/model":           "Raspberry Pi 4 Model B Rev 1.5\x00",
		"/proc/meminfo":                     "MemTotal:        3881924 kB\nMemFree:          123456 kB\n",
		"/proc/sys/kernel/hostname":         "pi-01\n",
		"/proc/cmdline":                     "cgroup_disable=memory root=/dev/mmcblk0p2 cgroup_enable=memory\n",
		"/run/systemd/system/":              "",
		firmwareCmdline:                     "console=tty1 root=PARTUUID=4e639091-02 rootwait cgroup_enable=memory\n",
		firmwareCmdline + ".k3sup-pi.bak":   "console=tty1 root=PARTUUID=4e639091-02 rootwait\n",
		"/sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory pids\n",
		"/usr/local/bin/k3s":                standInK3s,
		"/etc/systemd/system/k3s.service":   "[Unit]\n",
		"/etc/rancher/k3s/config.yaml":      "token: secret\n",
		"/run/k3sup-pi/boot-id":             "boot-42\n",
		"/proc/sys/kernel/random/boot_id":   "3c1f6a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b\n",
		"/proc/mounts":                      mountsBootVfat,
	}
}

const (
	mountsRootOnly = "/dev/mmcblk0p2 / ext4 rw,noatime 0 0\nproc /proc proc rw 0 0\n"
	mountsBootVfat = mountsRootOnly + "/dev/mmcblk0p1 /boot/firmware vfat rw,relatime,fmask=0022 0 2\n"
	bootStub       = "/boot/cmdline.txt"
)

func with(base map[string]string, changes map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range changes {
		if v == "-" {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

func TestScriptPiFacts(t *testing.T) {
	f := runScript(t, "dash", fakeRoot(t, pi4()))
	checks := []struct {
		name      string
		got, want any
	}{
		{"OSID", f.OSID, "debian"},
		{"OSVersionID", f.OSVersionID, "12"},
		{"OSPretty", f.OSPretty, "Debian GNU/Linux 12 (bookworm)"},
		{"Model", f.Model, "Raspberry Pi 4 Model B Rev 1.5"},
		{"MemTotalKB", f.MemTotalKB, int64(3881924)},
		{"Hostname", f.Hostname, "pi-01"},
		{"InitSystem", f.InitSystem, "systemd"},
		{"ProcCmdline", f.ProcCmdline, "cgroup_disable=memory root=/dev/mmcblk0p2 cgroup_enable=memory\n"},
		{"CmdlineBak", f.CmdlineBak, true},
		{"CgroupV2", f.CgroupV2, true},
		{"MemoryCgroup", f.MemoryCgroup, true},
		{"K3sVersion", f.K3sVersion, "v1.31.4+k3s1"},
		{"K3sRole", f.K3sRole, role.Server},
		{"K3sBinHash", len(f.K3sBinHash), 64},
		{"ConfigPresent", f.ConfigPresent, true},
		{"ConfigHash", f.ConfigHash, "03c9383f31ca107f2fc748d715cde9b86d67b2bc49669a3cd32b4fde5f234e21"},
		{"BootID", f.BootID, "boot-42"},
		{"KernelBootID", f.KernelBootID, "3c1f6a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestScriptVariants(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		check func(Facts) bool
	}{
		{"v2 without memory", with(pi4(), map[string]string{"/sys/fs/cgroup/cgroup.controllers": "cpuset cpu io pids\n"}),
			func(f Facts) bool { return f.CgroupV2 && !f.MemoryCgroup }},
		{"v1 memory enabled", with(pi4(), map[string]string{"/sys/fs/cgroup/cgroup.controllers": "-",
			"/proc/cgroups": "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t2\t1\t1\nmemory\t3\t90\t1\n"}),
			func(f Facts) bool { return !f.CgroupV2 && f.MemoryCgroup }},
		{"v1 memory disabled", with(pi4(), map[string]string{"/sys/fs/cgroup/cgroup.controllers": "-",
			"/proc/cgroups": "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t0\t1\t0\n"}),
			func(f Facts) bool { return !f.CgroupV2 && !f.MemoryCgroup }},
		{"agent unit", with(pi4(), map[string]string{"/etc/systemd/system/k3s.service": "-", "/etc/systemd/system/k3s-agent.service": "x"}),
			func(f Facts) bool { return f.K3sRole == role.Agent }},
		{"no k3s", with(pi4(), map[string]string{"/usr/local/bin/k3s": "-", "/etc/systemd/system/k3s.service": "-", "/etc/rancher/k3s/config.yaml": "-"}),
			func(f Facts) bool {
				return f.K3sVersion == "" && f.K3sBinHash == "" && f.K3sRole == "" && !f.ConfigPresent && f.ConfigHash == ""
			}},
		{"after reboot", with(pi4(), map[string]string{"/run/k3sup-pi/boot-id": "-", firmwareCmdline + ".k3sup-pi.bak": "-"}),
			func(f Facts) bool { return f.BootID == "" && !f.CmdlineBak }},
		{"openrc", with(pi4(), map[string]string{"/run/systemd/system/": "-", "/run/openrc/": ""}),
			func(f Facts) bool { return f.InitSystem == "openrc" }},
		{"no init dirs", with(pi4(), map[string]string{"/run/systemd/system/": "-"}),
			func(f Facts) bool { return f.InitSystem == "other" }},
		{"non-Pi", with(pi4(), map[string]string{"/proc/device-tree/model": "-"}),
			func(f Facts) bool { return f.Model == "" }},
		{"multi-line hostname flattened", with(pi4(), map[string]string{"/proc/sys/kernel/hostname": "a\nb\n"}),
			func(f Facts) bool { return f.Hostname == "ab" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if f := runScript(t, "sh", fakeRoot(t, tt.files)); !tt.check(f) {
				t.Errorf("unexpected facts: %+v", f)
			}
		})
	}
}

// TestScriptUnprivileged runs Script as an ordinary user: it must still succeed,
// report Privileged false and see config.yaml without hashing it.
// TestScriptBootPartition: the facts say on which file system the chosen
// cmdline.txt lies, prefer one on a mounted partition, and read k3sup-pi's record.
func TestScriptBootPartition(t *testing.T) {
	tests := []struct {
		name                string
		changes             map[string]string
		path, mount, fstype string
	}{
		{"mounted vfat", nil, firmwareCmdline, "/boot/firmware", "vfat"},
		{"not mounted: the root file system's copy", map[string]string{"/proc/mounts": mountsRootOnly}, firmwareCmdline, "/", "ext4"},
		{"not mounted, bookworm's stub in /boot: still the first candidate", map[string]string{"/proc/mounts": mountsRootOnly,
			bootStub: "DO NOT EDIT THIS FILE\n"}, firmwareCmdline, "/", "ext4"},
		{"mounted, stub on the root file system ignored", map[string]string{bootStub: "DO NOT EDIT THIS FILE\n"},
			firmwareCmdline, "/boot/firmware", "vfat"},
		{"old layout: /boot mounted", map[string]string{"/proc/mounts": mountsRootOnly + "/dev/mmcblk0p1 /boot vfat rw 0 0\n",
			firmwareCmdline: "-", firmwareCmdline + ".k3sup-pi.bak": "-", bootStub: "console=tty1 rootwait\n"},
			bootStub, "/boot", "vfat"},
		{"a mount at /boot/firmwareX does not count", map[string]string{"/proc/mounts": mountsRootOnly + "/dev/sdb1 /boot/firmwareX vfat rw 0 0\n"},
			firmwareCmdline, "/", "ext4"},
		{"network boot over nfs", map[string]string{"/proc/mounts": mountsRootOnly + "srv:/tftp/pi1 /boot/firmware nfs4 rw 0 0\n"},
			firmwareCmdline, "/boot/firmware", "nfs4"},
		{"no /proc/mounts: unknown", map[string]string{"/proc/mounts": "-"}, firmwareCmdline, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := runScript(t, "dash", fakeRoot(t, with(pi4(), tt.changes)))
			if f.CmdlinePath != tt.path || f.CmdlineMount != tt.mount || f.CmdlineFSType != tt.fstype {
				t.Errorf("path %q mount %q fstype %q, want %q %q %q", f.CmdlinePath, f.CmdlineMount, f.CmdlineFSType, tt.path, tt.mount, tt.fstype)
			}
		})
	}
}

func TestScriptCmdlineRecord(t *testing.T) {
	sum := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	f := runScript(t, "sh", fakeRoot(t, with(pi4(), map[string]string{
		"/var/lib/k3sup-pi/cmdline.record": "k3sup_pi_cmdline=1\npath=" + firmwareCmdline + "\nsha256=" + sum + "\nadded=cgroup_memory=1 cgroup_enable=memory\n",
	})))
	if f.CmdlineRecordPath != firmwareCmdline || f.CmdlineRecordSHA256 != sum || f.CmdlineRecordAdded != "cgroup_memory=1 cgroup_enable=memory" {
		t.Errorf("record = %q %q %q", f.CmdlineRecordPath, f.CmdlineRecordSHA256, f.CmdlineRecordAdded)
	}
	if f.CmdlineBackup != "console=tty1 root=PARTUUID=4e639091-02 rootwait\n" {
		t.Errorf("CmdlineBackup = %q", f.CmdlineBackup)
	}
	if f := runScript(t, "sh", fakeRoot(t, pi4())); f.CmdlineRecordPath != "" || f.CmdlineRecordSHA256 != "" {
		t.Errorf("no record, yet %q %q", f.CmdlineRecordPath, f.CmdlineRecordSHA256)
	}
}

func TestScriptUnprivileged(t *testing.T) {
	var wrap []string
	if os.Getuid() == 0 {
		wrap = []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
	}
	f := runScript(t, "sh", fakeRoot(t, pi4()), wrap...)
	if f.Privileged || f.IsRoot || f.SudoNoPass {
		t.Errorf("Privileged=%v IsRoot=%v SudoNoPass=%v, want all false", f.Privileged, f.IsRoot, f.SudoNoPass)
	}
	if !f.ConfigPresent || f.ConfigHash != "" {
		t.Errorf("ConfigPresent=%v ConfigHash=%q, want true and empty", f.ConfigPresent, f.ConfigHash)
	}
	if f.K3sVersion != "v1.31.4+k3s1" || f.MemTotalKB != 3881924 {
		t.Errorf("readable facts lost: %+v", f)
	}
}
