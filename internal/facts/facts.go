// Package facts gathers everything k3sup-pi needs to know about a host in one
// remote command, and parses the answer into Facts.
//
// The remote command is Script, a POSIX sh script meant to run as root (through
// sudo) and degrading gracefully without it. It prints `key=value` lines; Parse
// turns them into Facts. Integer fields hold Unknown when the host could not tell.
package facts

import "github.com/k3sup-pi/k3sup-pi/internal/role"

// Unknown is the value of an integer field the host could not report
// (a missing tool or an unreadable file).
const Unknown = -1

// Facts is what one host told us about itself, read in a single round trip.
type Facts struct {
	Arch          string // uname -m: aarch64, armv7l, armv6l, x86_64
	KernelRelease string // uname -r
	OSID          string // os-release ID: debian, raspbian, ubuntu
	OSVersionID   string // os-release VERSION_ID: "12", "24.04", "25.10"
	OSPretty      string // os-release PRETTY_NAME
	Model         string // /proc/device-tree/model without the NUL; "" on non-Pi hosts
	MemTotalKB    int64  // /proc/meminfo MemTotal
	Hostname      string // hostname as the host reports it now
	InitSystem    string // "systemd", "openrc" or "other"
	User          string // the SSH user
	IsRoot        bool   // the SSH user is uid 0
	SudoNoPass    bool   // `sudo -n true` succeeded (always true for root)
	Privileged    bool   // the script itself ran as uid 0 (via sudo or as root), so root-only files were read

	BootDir     string // where this OS mounts its boot partition (/boot/firmware, or /boot before Bookworm)
	CmdlinePath string // the cmdline.txt in use; "" when there is none (network boot, not a Pi)
	Cmdline     string // its content, byte for byte
	CmdlineBak  bool   // a k3sup-pi backup of cmdline.txt exists beside it
	// CmdlineMount is the mount point of the file system cmdline.txt lies on:
	// "/" means the root file system (the boot partition is not mounted), ""
	// that /proc/mounts was unreadable. CmdlineFSType is its type (vfat on a Pi).
	CmdlineMount, CmdlineFSType string
	CmdlineBackup               string // content of the k3sup-pi backup beside cmdline.txt; "" when none
	// What k3sup-pi recorded (in /var/lib/k3sup-pi/cmdline.record) when it last
	// wrote cmdline.txt: the file's path, the sha256 of what it wrote and the
	// flags it added (space-separated); all "" when there is no record.
	CmdlineRecordPath, CmdlineRecordSHA256, CmdlineRecordAdded string
	ProcCmdline                                                string // /proc/cmdline: what the running kernel was booted with
	CgroupV2                                                   bool   // /sys/fs/cgroup/cgroup.controllers exists
	MemoryCgroup                                               bool   // the memory controller is enabled (cgroup.controllers on v2, /proc/cgroups on v1)

	K3sVersion     string    // `k3s --version` of /usr/local/bin/k3s, "" when absent
	K3sRole        role.Role // "server" (k3s.service), "agent" (k3s-agent.service) or "" (no unit)
	ServiceActive  bool      // the unit is active
	ServiceStarted string    // ActiveEnterTimestampMonotonic of the unit: changes on every (re)start
	K3sStale       bool      // the active unit's main process runs a binary replaced since it started (see exe_stale in gather.sh)
	ConfigHash     string    // sha256 of /etc/rancher/k3s/config.yaml, "" when absent (or unreadable: see ConfigPresent)
	ConfigPresent  bool      // /etc/rancher/k3s/config.yaml exists, even when unreadable without Privileged
	K3sBinHash     string    // sha256 of /usr/local/bin/k3s, "" when absent

	DataDirSource string // device backing /var/lib/rancher (or its nearest existing parent), e.g. /dev/mmcblk0p2
	FreeVarLibKB  int64  // free space under /var/lib
	FreeBinKB     int64  // free space under /usr/local/bin
	UnixTime      int64  // the host's clock, seconds since the epoch
	BootID        string // the boot marker k3sup-pi keeps in /run; "" after a reboot
	KernelBootID  string // /proc/sys/kernel/random/boot_id: the kernel's own id, new on every boot
}
