// Package redact keeps a process-wide registry of secrets (join tokens, sudo
// passwords, key passphrases) and removes them from text before it reaches a
// log, an error message or a terminal.
package redact

import (
	"bytes"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Mask replaces every registered secret in redacted text.
const Mask = "***"

// MinLen is the length from which a secret is masked wherever it appears,
// also inside a longer word. A shorter secret (a 1 to 5 character sudo
// password) is masked only where it stands as a word of its own: masking
// every "pi" or "22" inside host names, users and numbers would mangle all
// output, while a leaked password shows up as a word (a line of its own, a
// "command not found", a field between separators).
const MinLen = 6

var (
	mu      sync.RWMutex
	secrets []string // MinLen or longer, longest first, so a secret containing another is masked whole
	short   []string // shorter than MinLen, longest first; masked as whole words only
)

// Add registers secret for redaction. Surrounding white space is ignored; an
// empty secret is not registered.
func Add(secret string) {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	list := &secrets
	if len(secret) < MinLen {
		list = &short
	}
	if slices.Contains(*list, secret) {
		return
	}
	*list = append(*list, secret)
	sort.SliceStable(*list, func(i, j int) bool { return len((*list)[i]) > len((*list)[j]) })
}

// String returns s with every registered secret replaced by Mask.
func String(s string) string {
	mu.RLock()
	defer mu.RUnlock()
	for _, secret := range secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, Mask)
		}
	}
	for _, secret := range short {
		s = replaceWords(s, secret)
	}
	return s
}

// Bytes returns b with every registered secret replaced by Mask. The result
// is a new slice when anything was replaced, b itself otherwise.
func Bytes(b []byte) []byte {
	if s := String(string(b)); s != string(b) {
		return []byte(s)
	}
	return b
}

// replaceWords masks each occurrence of word in s that is not part of a
// longer word: neither neighbour is a letter, a digit, '_', '-' or '.' (the
// characters of host names, user names and numbers).
func replaceWords(s, word string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for from := 0; ; {
		i := strings.Index(s[from:], word)
		if i < 0 {
			break
		}
		start, end := from+i, from+i+len(word)
		if wordEdge(s[:start], true) && wordEdge(s[end:], false) {
			b.WriteString(s[done:start])
			b.WriteString(Mask)
			done = end
		}
		from = end
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// wordEdge reports whether the text beside a match (before it when before is
// true, else after it) ends the word there.
func wordEdge(side string, before bool) bool {
	if side == "" {
		return true
	}
	var r rune
	if before {
		r, _ = utf8.DecodeLastRuneInString(side)
	} else {
		r, _ = utf8.DecodeRuneInString(side)
	}
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.')
}

// Error returns err's message with secrets replaced, or "" for a nil err.
func Error(err error) string {
	if err == nil {
		return ""
	}
	return String(err.Error())
}

// Writer redacts everything written through it. It holds back partial lines
// so that a secret split across two writes is still masked; Flush writes
// what is held back.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer that redacts line by line into w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w}
}

// Write buffers p and writes every complete line, redacted, to the
// underlying writer. It reports len(p) on success.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	i := bytes.LastIndexByte(w.buf, '\n')
	if i < 0 {
		return len(p), nil
	}
	out := Bytes(w.buf[:i+1])
	rest := append([]byte(nil), w.buf[i+1:]...)
	w.buf = rest
	if _, err := w.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes any held-back partial line, redacted.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	out := Bytes(w.buf)
	w.buf = nil
	_, err := w.w.Write(out)
	return err
}
