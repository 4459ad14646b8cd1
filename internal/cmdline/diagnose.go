package cmdline

import (
	"fmt"
	"strconv"
	"strings"
)

// MemoryCgroupDiagnosis explains, from the content of /proc/cmdline (the
// arguments the running kernel was really booted with), why the memory cgroup is
// still off after cmdline.txt was patched and the board rebooted.
func MemoryCgroupDiagnosis(procCmdline string) string {
	toks, _ := tokenize(procCmdline)
	args, _ := kernelArgs(toks)
	var absentFlags, overriddenFlags []string
	for _, f := range CgroupFlags {
		switch state(args, f) {
		case absent:
			absentFlags = append(absentFlags, f)
		case overridden:
			overriddenFlags = append(overriddenFlags, f)
		}
	}
	switch {
	case len(absentFlags) > 0:
		return fmt.Sprintf("the running kernel was booted without %s: the edit did not reach the boot partition in use "+
			"(wrong cmdline.txt path, or a boot partition other than the one mounted?); check which cmdline.txt the firmware reads",
			strings.Join(absentFlags, " "))
	case state(args, "cgroup_enable=memory") == overridden:
		return "cgroup_disable=memory comes after the last cgroup_enable=memory on the kernel command line, so memory stays off " +
			"(the Pi 5 firmware adds cgroup_disable=memory with kernel 6.12): move cgroup_enable=memory to the end of cmdline.txt"
	case len(overriddenFlags) > 0:
		return fmt.Sprintf("%s is undone by a later argument on the kernel command line: move it to the end of cmdline.txt",
			strings.Join(overriddenFlags, " "))
	}
	return "every cgroup flag is on the kernel command line, yet the memory cgroup is off: " +
		"this kernel was probably built without memory cgroup support (CONFIG_MEMCG); install a kernel that has it"
}

// Paths returns the places cmdline.txt may live on a host, most likely first,
// from the ID and VERSION_ID fields of its /etc/os-release. The caller uses the
// first one that exists.
//
//   - Ubuntu 25.10 and newer: /boot/firmware/current/cmdline.txt, then /boot/firmware/cmdline.txt.
//   - Older Ubuntu, Raspberry Pi OS Bookworm and newer (ID raspbian or debian,
//     VERSION_ID 12 or more), and unknown systems: /boot/firmware/cmdline.txt, then /boot/cmdline.txt.
//   - Older Raspberry Pi OS and Debian: /boot/cmdline.txt, then /boot/firmware/cmdline.txt.
func Paths(osID, osVersionID string) []string {
	const (
		current  = "/boot/firmware/current/cmdline.txt"
		firmware = "/boot/firmware/cmdline.txt"
		boot     = "/boot/cmdline.txt"
	)
	major, minor, ok := version(osVersionID)
	switch strings.ToLower(strings.Trim(osID, `"' `)) {
	case "ubuntu":
		if ok && (major > 25 || major == 25 && minor >= 10) {
			return []string{current, firmware}
		}
		return []string{firmware, boot}
	case "raspbian", "debian":
		if ok && major < 12 {
			return []string{boot, firmware}
		}
	}
	return []string{firmware, boot}
}

// version parses a VERSION_ID such as "12", "24.04" or "25.10".
func version(s string) (major, minor int, ok bool) {
	s = strings.Trim(s, `"' `)
	maj, min, _ := strings.Cut(s, ".")
	major, err := strconv.Atoi(maj)
	if err != nil {
		return 0, 0, false
	}
	if min == "" {
		return major, 0, true
	}
	minor, err = strconv.Atoi(min)
	return major, minor, err == nil
}
