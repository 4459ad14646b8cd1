package cmdline

import (
	"strconv"
	"strings"
)

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
