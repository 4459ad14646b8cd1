// Package redact keeps a process-wide registry of secrets (join tokens, sudo
// passwords, key passphrases) and removes them from text before it reaches a
// log, an error message or a terminal.
package redact

import (
	"bytes"
	"io"
	"sort"
	"strings"
	"sync"
)

// Mask replaces every registered secret in redacted text.
const Mask = "***"

// MinLen is the shortest secret that is registered; shorter strings would
// redact ordinary words and numbers everywhere.
const MinLen = 6

var (
	mu      sync.RWMutex
	secrets []string // longest first, so a secret containing another is masked whole
)

// Add registers secret for redaction. Surrounding white space is ignored and
// secrets shorter than MinLen are not registered.
func Add(secret string) {
	secret = strings.TrimSpace(secret)
	if len(secret) < MinLen {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range secrets {
		if s == secret {
			return
		}
	}
	secrets = append(secrets, secret)
	sort.SliceStable(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
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
	return s
}

// Bytes returns b with every registered secret replaced by Mask. The result
// is a new slice when anything was replaced, b itself otherwise.
func Bytes(b []byte) []byte {
	mu.RLock()
	defer mu.RUnlock()
	for _, secret := range secrets {
		if bytes.Contains(b, []byte(secret)) {
			b = bytes.ReplaceAll(b, []byte(secret), []byte(Mask))
		}
	}
	return b
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
