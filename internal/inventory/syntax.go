package inventory

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// syntaxHint improves yaml.v3's message for a syntax error it placed on
// line (1-based): for the errors a tab causes, the first tab in the
// indentation at or below that line is named with its own position, and a block whose indentation broke is said to be
// the one starting on that line (yaml.v3 names where the block starts, not
// the line that broke it).
func syntaxHint(data []byte, line int, msg string) (pos, string) {
	tabby := strings.Contains(msg, "tab") || strings.HasPrefix(msg, "found character that cannot start any token")
	lines := strings.Split(string(data), "\n")
	for i := max(line-1, 0); tabby && i < len(lines); i++ {
		indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " \t"))]
		if col := strings.IndexByte(indent, '\t'); col >= 0 {
			return pos{line: i + 1, col: col + 1}, "not valid YAML: a tab indents this line; YAML indents with spaces only, replace the tab with spaces"
		}
	}
	if strings.HasPrefix(msg, "did not find expected key") || strings.HasPrefix(msg, "did not find expected '-' indicator") {
		msg += " in the block that starts on this line; check the indentation of the lines below it"
	}
	return pos{line: line, col: 1}, "not valid YAML: " + msg
}

// badText finds the first byte that makes data unreadable as YAML: bytes
// that are not UTF-8, or a control character YAML does not allow. It is
// used to place the errors yaml.v3 reports without a line. A file that
// starts with a UTF-16 byte order mark is left to yaml.v3.
func badText(data []byte) (pos, string, bool) {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return pos{}, "", false
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return pos{line: line, col: col}, fmt.Sprintf("not valid YAML: byte 0x%02x is not UTF-8 text; save the file as UTF-8", data[i]), true
		case !yamlPrintable(r):
			return pos{line: line, col: col}, fmt.Sprintf("not valid YAML: control character %U is not allowed; remove it", r), true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return pos{}, "", false
}

// yamlPrintable reports whether r may appear in a YAML stream (YAML 1.2, 5.1).
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r < 0x20 || r == 0x7f:
		return false
	case r >= 0x80 && r < 0xa0:
		return false
	case r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff:
		return false
	}
	return true
}
