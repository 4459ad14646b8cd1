package preflight

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// Memory and disk thresholds in KiB, as /proc/meminfo and df report them. Boards
// report less than their nominal size (firmware and GPU reservations), so a
// "2 GB" Pi counts from 1.7 GiB and a "4 GB" one from 3.5 GiB.
const (
	mib             = 1024
	gib             = 1024 * mib
	serverMinKB     = 17 * gib / 10 // nominal 2 GB
	serverAdvisedKB = 7 * gib / 2   // nominal 4 GB
	agentMinKB      = 400 * mib     // nominal 512 MB
	varLibMinKB     = 1 * gib
	binMinKB        = 200 * mib
)

type hostRule func(in Input, opt Options) []Finding

var hostRules = []hostRule{
	checkRole, checkArch, checkMemory, checkInit, checkSudo,
	checkCmdline, checkVxlanModule, checkEtcdStorage, checkDisk,
}

// CheckHost runs every single-host rule on in, in a fixed order.
func CheckHost(in Input, opt Options) []Finding {
	var out []Finding
	for _, rule := range hostRules {
		out = append(out, rule(in, opt)...)
	}
	return out
}

func finding(in Input, sev Severity, check, msg, fix string) []Finding {
	return []Finding{{Host: in.Host, Severity: sev, Check: check, Msg: msg, Fix: fix}}
}

func checkRole(in Input, _ Options) []Finding {
	if in.Role == role.Server || in.Role == role.Agent {
		return nil
	}
	return finding(in, Error, "role", fmt.Sprintf("role %q is neither server nor agent", in.Role),
		"set role: server or role: agent in the inventory")
}

func checkArch(in Input, _ Options) []Finding {
	f := in.Facts
	switch f.Arch {
	case "aarch64", "arm64", "armv7l", "armv7", "armv8l", "x86_64", "amd64":
		return nil
	case "armv6l", "armv6":
		board := "this board"
		if f.Model != "" {
			board = "this " + f.Model
		}
		return finding(in, Error, "arch",
			fmt.Sprintf("%s is armv6 (%s): k3s has no armv6 build and cannot run on a Pi Zero, Zero W or Pi 1", board, f.Arch),
			"use an armv7 or arm64 board for this host (Pi 2 v1.2, 3, 4, 5, Zero 2 W) or remove it from the inventory")
	case "":
		return finding(in, Error, "arch", "could not read the architecture (uname -m)", "check that uname works on the host")
	}
	return finding(in, Error, "arch",
		fmt.Sprintf("architecture %q is not supported: k3sup-pi installs k3s on aarch64, armv7l and x86_64", f.Arch),
		"remove this host from the inventory")
}

func checkMemory(in Input, opt Options) []Finding {
	m := in.Facts.MemTotalKB
	if m < 0 {
		return finding(in, Warning, "memory", "could not read MemTotal from /proc/meminfo", "check that /proc/meminfo is readable on the host")
	}
	switch {
	case in.Role == role.Server && m < serverMinKB:
		sev, fix := Error, "use a board with 2 GB or more as server, make this host an agent, or pass --allow-low-memory"
		if opt.AllowLowMemory {
			sev, fix = Warning, "expect an unstable control plane; a 4 GB board is advised"
		}
		return finding(in, sev, "memory",
			fmt.Sprintf("server has %s of memory: a k3s server needs 2 GB", human(m)), fix)
	case in.Role == role.Server && m < serverAdvisedKB:
		return finding(in, Warning, "memory",
			fmt.Sprintf("server has %s of memory: 4 GB is advised for a k3s server", human(m)),
			"use a 4 GB or larger board as server if workloads run on it too")
	case in.Role != role.Server && m < agentMinKB:
		return finding(in, Error, "memory",
			fmt.Sprintf("agent has %s of memory: a k3s agent needs 512 MB", human(m)),
			"use a board with 512 MB or more, or remove this host from the inventory")
	}
	return nil
}

// human renders KiB as MiB or GiB with one decimal.
func human(kb int64) string {
	if kb < gib {
		return fmt.Sprintf("%d MiB", kb/mib)
	}
	return fmt.Sprintf("%.1f GiB", float64(kb)/gib)
}

// checkInit refuses any init but systemd. OpenRC (Alpine) is refused rather
// than half supported: the reboot check, k3s restarts, service checks and
// uninstall all speak systemctl, and no OpenRC host is tested end to end.
func checkInit(in Input, _ Options) []Finding {
	switch in.Facts.InitSystem {
	case "systemd":
		return nil
	case "openrc":
		return finding(in, Error, "init",
			"k3sup-pi needs systemd, and this host runs OpenRC (Alpine?): its reboot check, k3s restarts and uninstall all use systemctl",
			"use an OS image that boots with systemd (Raspberry Pi OS, Ubuntu, Debian), or install k3s on this host by hand and leave it out of the inventory")
	}
	return finding(in, Error, "init",
		fmt.Sprintf("init system is %q: k3sup-pi needs systemd", in.Facts.InitSystem),
		"use an OS image that boots with systemd (Raspberry Pi OS, Ubuntu, Debian)")
}

func checkSudo(in Input, _ Options) []Finding {
	f := in.Facts
	if f.IsRoot || f.SudoNoPass {
		return nil
	}
	return finding(in, Info, "sudo",
		fmt.Sprintf("user %q is not root and sudo asks for a password", f.User),
		"k3sup-pi needs the sudo password for this host, or a NOPASSWD sudo rule")
}

func checkCmdline(in Input, _ Options) []Finding {
	f := in.Facts
	if f.CmdlinePath != "" {
		return checkBootPartition(in)
	}
	if f.MemoryCgroup {
		return finding(in, Info, "cmdline", "no cmdline.txt: not a Pi boot partition, no cgroup patch", "")
	}
	return finding(in, Error, "cmdline",
		"the memory cgroup is off and there is no cmdline.txt to patch (not a Pi boot partition, or network boot)",
		"add cgroup_enable=memory to the kernel command line through this host's bootloader and reboot")
}

// checkBootPartition refuses a cmdline.txt that lies on the root file system:
// the boot partition is not mounted, so the firmware would never read the edit
// (and the real cmdline.txt is elsewhere). Any file system mounted there is
// accepted, not only FAT: a network-booted Pi has its boot directory on NFS.
func checkBootPartition(in Input) []Finding {
	f := in.Facts
	if f.CmdlineMount == "/" {
		dir := BootDir(f)
		where := "cmdline.txt found on the root file system"
		if path.Dir(f.CmdlinePath) != dir {
			where = f.CmdlinePath + " is on the root file system"
		}
		return finding(in, Error, "boot-partition", fmt.Sprintf("boot partition not mounted at %s (%s)", dir, where),
			"mount it (e.g. check /etc/fstab) and run again")
	}
	return nil
}

// BootDir is where the boot partition belongs on this host, as the facts
// script decides from its OS (the one place that knows the cmdline.txt
// candidates); /boot/firmware when the facts do not say.
func BootDir(f facts.Facts) string {
	if f.BootDir == "" {
		return "/boot/firmware"
	}
	return f.BootDir
}

// NeedsVxlanModules reports whether the host is a Raspberry Pi on Ubuntu
// 20.10 to 23.10, whose kernel ships vxlan (flannel's default backend) only in
// linux-modules-extra-raspi.
func NeedsVxlanModules(f facts.Facts) bool {
	if f.OSID != "ubuntu" || !strings.Contains(f.Model, "Raspberry Pi") {
		return false
	}
	v, ok := ubuntuVersion(f.OSVersionID)
	return ok && v >= 2010 && v <= 2310
}

func checkVxlanModule(in Input, _ Options) []Finding {
	f := in.Facts
	if !NeedsVxlanModules(f) {
		return nil
	}
	return finding(in, Info, "vxlan-module",
		fmt.Sprintf("Ubuntu %s on a Raspberry Pi needs linux-modules-extra-raspi for flannel's vxlan", f.OSVersionID),
		"k3sup-pi installs it before k3s; without network access install linux-modules-extra-raspi by hand")
}

// ubuntuVersion turns "22.04" into 2204.
func ubuntuVersion(s string) (int, bool) {
	y, m, ok := strings.Cut(s, ".")
	yy, err1 := strconv.Atoi(y)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || mm < 1 || mm > 12 {
		return 0, false
	}
	return yy*100 + mm, true
}

func checkEtcdStorage(in Input, _ Options) []Finding {
	if in.Role != role.Server || !in.EmbeddedEtcd || !onSDCard(in.Facts) {
		return nil
	}
	return finding(in, Warning, "etcd-storage",
		fmt.Sprintf("embedded etcd keeps its data on an SD card (%s): etcd needs 50 sequential fsync IOPS and good SD cards manage about 30", in.Facts.DataDirSource),
		"boot this server from an SSD (USB or NVMe), or use an external datastore (datastore-endpoint)")
}

// onSDCard tells whether the data dir lives on an mmcblk device, looking through
// /dev/root at the root= kernel argument when needed.
func onSDCard(f facts.Facts) bool {
	src := f.DataDirSource
	if src == "/dev/root" {
		for _, arg := range strings.Fields(f.ProcCmdline) {
			if v, ok := strings.CutPrefix(arg, "root="); ok {
				src = v
			}
		}
	}
	return strings.HasPrefix(src, "/dev/mmcblk")
}

func checkDisk(in Input, _ Options) []Finding {
	var out []Finding
	for _, d := range []struct {
		dir        string
		free, need int64
	}{
		{"/var/lib", in.Facts.FreeVarLibKB, varLibMinKB},
		{"/usr/local/bin", in.Facts.FreeBinKB, binMinKB},
	} {
		switch {
		case d.free < 0:
			out = append(out, finding(in, Info, "disk-space", "could not measure free space under "+d.dir, "")...)
		case d.free < d.need:
			out = append(out, finding(in, Error, "disk-space",
				fmt.Sprintf("%s free under %s: k3s needs at least %s there", human(d.free), d.dir, human(d.need)),
				"free some space, or grow the root file system to fill the card")...)
		}
	}
	return out
}
