package inventory

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Error is every problem found in one inventory. Callers map it to exit code 2.
type Error struct {
	File     string
	Problems []Problem
}

// Problem is one mistake in the inventory. Line and Col are 1-based and 0 when
// the value did not come from the file (a default, a flag or an environment
// variable). Path is the key path, e.g. "hosts[2].role". Msg never holds a secret.
type Problem struct {
	Line, Col int
	Path, Msg string
}

// Error prints one problem per line as file:line:col: path: message.
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.format(e.File))
	}
	return b.String()
}

func (p Problem) format(file string) string {
	s := printable(file)
	if p.Line > 0 {
		s += fmt.Sprintf(":%d:%d", p.Line, p.Col)
	}
	if p.Path != "" {
		s += ": " + p.Path
	}
	return s + ": " + p.Msg
}

// printable escapes control characters, as in a Go string literal: a line
// break in a file name or key must not split a problem over two lines, and an
// escape sequence must not reach the terminal.
func printable(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// pos is where a key path got its value: a file position, or an origin such
// as "--batch-size or $K3SUP_PI_BATCH_SIZE" for overrides.
type pos struct {
	line, col int
	origin    string
}

// problems collects Problems in the order found.
type problems struct {
	list []Problem
	seen map[Problem]bool
}

// add records a problem, once: an alias used many times would otherwise
// repeat the same problem at the same place for every use.
func (ps *problems) add(at pos, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if at.origin != "" && at.origin != badOrigin {
		msg += " (set by " + at.origin + ")"
	}
	p := Problem{Line: at.line, Col: at.col, Path: printable(path), Msg: printable(msg)}
	if ps.seen[p] {
		return
	}
	if ps.seen == nil {
		ps.seen = map[Problem]bool{}
	}
	ps.seen[p] = true
	ps.list = append(ps.list, p)
}

// err returns nil when there is no problem, else an *Error with the problems
// sorted by position; problems without a position come last.
func (ps *problems) err(file string) error {
	if len(ps.list) == 0 {
		return nil
	}
	list := append([]Problem(nil), ps.list...)
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return &Error{File: file, Problems: list}
}
