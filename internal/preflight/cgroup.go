package preflight

import (
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
)

// MemoryCgroupAfterReboot checks, from facts gathered after the cmdline.txt patch
// and its reboot, that the memory cgroup is really on. It returns nil when it is,
// else an Error that explains why from the command line the kernel booted with.
func MemoryCgroupAfterReboot(host string, f facts.Facts) *Finding {
	if f.MemoryCgroup {
		return nil
	}
	fd := &Finding{Host: host, Severity: Error, Check: "memory-cgroup"}
	enable, disable := lastMemoryFlags(f.ProcCmdline)
	file := f.CmdlinePath
	switch {
	case enable < 0 && file == "":
		fd.Msg = "the memory cgroup is off, the kernel was booted without cgroup_enable=memory and there is no cmdline.txt"
		fd.Fix = "add cgroup_enable=memory to the kernel command line through this host's bootloader and reboot"
	case enable < 0 && hasMemoryFlag(f.Cmdline, "cgroup_enable"):
		fd.Msg = fmt.Sprintf("the kernel was booted without cgroup_enable=memory although %s carries it: the board did not boot from that file", file)
		fd.Fix = "find the boot partition the firmware really uses (another SD card or USB/NVMe drive, or /boot/firmware/current on Ubuntu 25.10+), add the flags there and reboot"
	case enable < 0:
		fd.Msg = fmt.Sprintf("the kernel was booted without cgroup_enable=memory and %s does not carry it", file)
		fd.Fix = "run k3sup-pi up again to patch cmdline.txt and reboot"
	case disable > enable:
		fd.Msg = "/proc/cmdline has cgroup_disable=memory after the last cgroup_enable=memory and the last one wins (the Pi 5 firmware adds cgroup_disable=memory with kernel 6.12)"
		fd.Fix = fmt.Sprintf("move cgroup_enable=memory to the end of the line in %s, remove any cgroup_disable=memory from it, and reboot", orDefault(file, "cmdline.txt"))
	default:
		where := "/proc/cgroups"
		if f.CgroupV2 {
			where = "/sys/fs/cgroup/cgroup.controllers"
		}
		fd.Msg = fmt.Sprintf("cgroup_enable=memory is on the kernel command line, yet the memory controller is off (%s)", where)
		fd.Fix = "check that this kernel supports memory cgroups (CONFIG_MEMCG) and that no container or init setting hides the controller"
	}
	return fd
}

// lastMemoryFlags returns the positions of the last cgroup_enable and the last
// cgroup_disable argument naming memory in a kernel command line, -1 when absent.
func lastMemoryFlags(cmdline string) (enable, disable int) {
	enable, disable = -1, -1
	for i, arg := range strings.Fields(cmdline) {
		key, val, _ := strings.Cut(arg, "=")
		if !listsMemory(val) {
			continue
		}
		switch key {
		case "cgroup_enable":
			enable = i
		case "cgroup_disable":
			disable = i
		}
	}
	return enable, disable
}

// hasMemoryFlag tells whether cmdline has key=memory (possibly in a comma list).
func hasMemoryFlag(cmdline, key string) bool {
	for _, arg := range strings.Fields(cmdline) {
		if k, v, _ := strings.Cut(arg, "="); k == key && listsMemory(v) {
			return true
		}
	}
	return false
}

// listsMemory tells whether a comma-separated controller list names memory.
func listsMemory(list string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == "memory" {
			return true
		}
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
