package cmdline

import "errors"

// Added returns the flags Patch would append to content, in the order it
// appends them: what k3sup-pi adds to this file. nil when none is missing or
// the content cannot be patched.
func Added(content string) []string {
	line, _, _, err := singleLine(content)
	if err != nil {
		return nil
	}
	toks, balanced := tokenize(line)
	if !balanced {
		return nil
	}
	args, _ := kernelArgs(toks)
	return missing(args)
}

// Unpatch is the reverse of Patch: it removes from content the flags k3sup-pi
// added (added, in the order Patch appended them) and keeps everything else.
//
// For each flag, from the last added to the first, the last occurrence among
// the kernel arguments (before a lone "--") goes, with the one blank that
// separated it from its neighbour; a flag no longer on the line is skipped.
// Earlier occurrences are the user's own (a cgroup_enable=memory that a later
// cgroup_disable=memory undid) and stay, as does every other byte of the line,
// hand edits made since (a new root=PARTUUID=) included, and its terminator.
// Like Patch, it drops blank extra lines and refuses a file that is not one line.
func Unpatch(content string, added []string) (restored string, changed bool, err error) {
	line, eol, joined, err := singleLine(content)
	if err != nil {
		return "", false, err
	}
	changed = joined
	for i := len(added) - 1; i >= 0; i-- {
		toks, balanced := tokenize(line)
		if !balanced {
			return "", false, errors.New("cmdline.txt has an unclosed double quote; remove k3sup-pi's cgroup flags by hand")
		}
		args, _ := kernelArgs(toks)
		at := -1
		for j, t := range args {
			if t.text == added[i] {
				at = j
			}
		}
		if at < 0 {
			continue
		}
		start, end := args[at].start, args[at].end
		switch {
		case start > 0 && isSpace(line[start-1]):
			start--
		case end < len(line) && isSpace(line[end]):
			end++
		}
		line = line[:start] + line[end:]
		changed = true
	}
	if !changed {
		return content, false, nil
	}
	return line + eol, true, nil
}
