package steps

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
)

// RefusedError is returned when the checks before any change found
// problems: nothing was changed. Every finding is an error.
type RefusedError struct{ Findings []preflight.Finding }

// Error lists every finding that stopped the run, one a line: a check's
// finding as preflight words it, any other as "host: message".
func (e *RefusedError) Error() string {
	msg := "preflight refused the run; nothing was changed:"
	for _, f := range e.Findings {
		line := f.String()
		if f.Check == "" {
			line = f.Msg
			if f.Host != "" {
				line = f.Host + ": " + f.Msg
			}
		}
		msg += "\n  " + strings.ReplaceAll(line, "\n", "\n    ")
	}
	return msg
}

// refusal is the error finding of a check without a name of its own (the
// plan, the join check, the token); host "" for the cluster as a whole.
func refusal(host, format string, args ...any) preflight.Finding {
	return preflight.Finding{Host: host, Severity: preflight.Error, Msg: fmt.Sprintf(format, args...)}
}

// sameFile reports whether path holds exactly data.
func sameFile(path string, data []byte) (bool, error) {
	old, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	return bytes.Equal(old, data), nil
}
