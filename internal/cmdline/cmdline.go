// Package cmdline reads and patches the Raspberry Pi's cmdline.txt, the single
// line of kernel arguments the firmware hands to the kernel, so that the cgroups
// k3s needs are enabled. Every function is pure: reading and writing the file on
// the host is the caller's business.
package cmdline

import (
	"errors"
	"fmt"
	"strings"
)

// CgroupFlags are the kernel arguments k3s needs on a Raspberry Pi, in the order
// Patch appends them.
var CgroupFlags = []string{"cgroup_enable=cpuset", "cgroup_memory=1", "cgroup_enable=memory"}

// Patch returns content with the missing CgroupFlags appended to its line.
//
// The rules:
//   - cmdline.txt must hold exactly one non-blank line. Blank or whitespace-only
//     extra lines are dropped (changed is true); a second non-blank line is an
//     error, because the board may not boot from such a file and only a human
//     can tell which line is meant.
//   - The line itself is kept byte for byte, odd spacing included; flags are
//     added at its end (before a lone "--", after which arguments go to init),
//     and the line keeps its own terminator: none, "\n" or "\r\n".
//   - A flag counts as present only when it takes effect: the last
//     cgroup_enable/cgroup_disable argument naming a controller wins, and the
//     last cgroup_memory value wins. So a cgroup_disable=memory after an
//     existing cgroup_enable=memory makes Patch append cgroup_enable=memory
//     again, at the end, where it wins.
//   - A line that already has every flag is returned unchanged, changed false.
func Patch(content string) (patched string, changed bool, err error) {
	line, eol, joined, err := singleLine(content)
	if err != nil {
		return "", false, err
	}
	toks, balanced := tokenize(line)
	if !balanced {
		return "", false, errors.New("cmdline.txt has an unclosed double quote: anything appended would become part of a quoted value; fix it by hand")
	}
	args, dashes := kernelArgs(toks)
	add := missing(args)
	if len(add) == 0 {
		return line + eol, joined, nil
	}
	extra := strings.Join(add, " ")
	if dashes >= 0 {
		at := toks[dashes].start
		return line[:at] + extra + " " + line[at:] + eol, true, nil
	}
	if line[len(line)-1] != ' ' && line[len(line)-1] != '\t' {
		extra = " " + extra
	}
	return line + extra + eol, true, nil
}

// singleLine finds the one non-blank line of content and the terminator that
// followed it ("", "\n" or "\r\n"). joined is true when blank lines were dropped.
func singleLine(content string) (line, eol string, joined bool, err error) {
	if strings.TrimSpace(content) == "" {
		return "", "", false, errors.New("cmdline.txt is empty: the board would boot without kernel arguments; restore it by hand")
	}
	lines := strings.SplitAfter(content, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	nonBlank := 0
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		nonBlank++
		line = l
	}
	if nonBlank > 1 {
		return "", "", false, fmt.Errorf("cmdline.txt has %d non-empty lines; it must be one line or the board may not boot: fix it by hand", nonBlank)
	}
	line, eol = splitEOL(line)
	return line, eol, len(lines) > 1, nil
}

// splitEOL separates a line from its terminator.
func splitEOL(l string) (line, eol string) {
	switch {
	case strings.HasSuffix(l, "\r\n"):
		return l[:len(l)-2], "\r\n"
	case strings.HasSuffix(l, "\n"):
		return l[:len(l)-1], "\n"
	}
	return l, ""
}
