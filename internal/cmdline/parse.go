package cmdline

import "strings"

// token is one kernel argument of a command line, with its byte span in the line.
type token struct {
	text       string
	start, end int
}

// isSpace reports the bytes the kernel's own parser treats as separators.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// tokenize splits a command line the way the kernel does: on whitespace, except
// inside double quotes. balanced is false when a quote is left open, in which case
// the kernel would swallow anything appended to the line into the quoted value.
func tokenize(line string) (toks []token, balanced bool) {
	i := 0
	for i < len(line) {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			break
		}
		start, quoted := i, false
		for i < len(line) && (quoted || !isSpace(line[i])) {
			if line[i] == '"' {
				quoted = !quoted
			}
			i++
		}
		toks = append(toks, token{text: line[start:i], start: start, end: i})
		if quoted {
			return toks, false
		}
	}
	return toks, true
}

// kernelArgs returns the tokens the kernel itself parses: those before a lone
// "--" (anything after it is handed to init), and the index of that "--" (-1 if none).
func kernelArgs(toks []token) ([]token, int) {
	for i, t := range toks {
		if t.text == "--" {
			return toks[:i], i
		}
	}
	return toks, -1
}

// keyValue splits a kernel argument into its name and unquoted value.
func keyValue(arg string) (key, value string) {
	key, value, _ = strings.Cut(arg, "=")
	key = strings.Trim(key, `"`)
	value = strings.Trim(value, `"`)
	return key, value
}

// flagState is what the kernel would make of one of CgroupFlags.
type flagState int

const (
	absent     flagState = iota // the line never mentions it
	overridden                  // mentioned, but a later argument undoes it
	effective                   // the last word on the matter is this flag
)

// state tells whether flag (one of CgroupFlags, "key=value") takes effect among args.
// For cgroup_enable the last cgroup_enable/cgroup_disable argument naming the same
// controller wins (values may be comma lists); for other keys the last value wins.
func state(args []token, flag string) flagState {
	fkey, fval := keyValue(flag)
	st := absent
	for _, t := range args {
		key, val := keyValue(t.text)
		switch {
		case fkey == "cgroup_enable" && (key == "cgroup_enable" || key == "cgroup_disable"):
			if !listHas(val, fval) {
				continue
			}
			if key == "cgroup_enable" {
				st = effective
			} else if st != absent {
				st = overridden
			}
		case key == fkey && fkey != "cgroup_enable":
			if val == fval {
				st = effective
			} else if st != absent {
				st = overridden
			}
		}
	}
	return st
}

// listHas reports whether the comma-separated list holds item.
func listHas(list, item string) bool {
	for _, v := range strings.Split(list, ",") {
		if v == item {
			return true
		}
	}
	return false
}

// missing returns the flags of CgroupFlags that do not take effect among args, in
// CgroupFlags order.
func missing(args []token) []string {
	var out []string
	for _, f := range CgroupFlags {
		if state(args, f) != effective {
			out = append(out, f)
		}
	}
	return out
}
