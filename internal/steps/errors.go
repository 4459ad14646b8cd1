package steps

import (
	"bytes"
	"os"
)

// RefusedError is returned when preflight found problems: nothing was changed.
type RefusedError struct{ Findings []string }

// Error lists every finding that stopped the run.
func (e *RefusedError) Error() string {
	msg := "preflight refused the run; nothing was changed:"
	for _, f := range e.Findings {
		msg += "\n  " + f
	}
	return msg
}

// sameFile reports whether path holds exactly data.
func sameFile(path string, data []byte) (bool, error) {
	old, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	return bytes.Equal(old, data), nil
}
