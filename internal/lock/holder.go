package lock

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Holder names one run: what a second run prints when it is refused.
type Holder struct {
	ID       string    // random, per run
	Command  string    // up, add-node, reset
	Operator string    // user@hostname of the machine the run started on
	Machine  string    // that machine's id (/etc/machine-id, else its hostname)
	PID      int       // the run's process id on that machine
	Started  time.Time // when the run started
}

// NewHolder describes this process running command.
func NewHolder(command string) Holder {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	host, _ := os.Hostname()
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	machine := host
	if id, err := os.ReadFile("/etc/machine-id"); err == nil && len(strings.TrimSpace(string(id))) > 0 {
		machine = strings.TrimSpace(string(id))
	}
	return Holder{ID: hex.EncodeToString(b), Command: clean(command), Operator: clean(name + "@" + host),
		Machine: clean(machine), PID: os.Getpid(), Started: time.Now().Truncate(time.Second)}
}

// clean keeps a value safe for a one-line key=value file and a message.
func clean(s string) string {
	out := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.@", r) {
			return r
		}
		return '_'
	}, s)
	if out == "" {
		return "unknown"
	}
	return out
}

// String is "k3sup-pi up (pid 4242 on pi@laptop, started 2026-11-30 12:00:01 UTC)".
func (h Holder) String() string {
	started := "at an unknown time"
	if !h.Started.IsZero() {
		started = h.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return fmt.Sprintf("k3sup-pi %s (pid %d on %s, started %s)", h.Command, h.PID, h.Operator, started)
}

// sameMachine reports whether h ran on this machine.
func (h Holder) sameMachine(me Holder) bool { return h.Machine != "" && h.Machine == me.Machine }

// fields are the holder as key=value pairs, in file order.
func (h Holder) fields() [][2]string {
	return [][2]string{{"id", h.ID}, {"operator", h.Operator}, {"machine", h.Machine},
		{"pid", strconv.Itoa(h.PID)}, {"command", h.Command}, {"started", strconv.FormatInt(h.Started.Unix(), 10)}}
}

// encode writes the holder as key=value lines.
func (h Holder) encode() string {
	var b strings.Builder
	for _, kv := range h.fields() {
		fmt.Fprintf(&b, "%s=%s\n", kv[0], kv[1])
	}
	return b.String()
}

// setField sets one field from its key=value form; unknown keys are ignored.
func (h *Holder) setField(key, value string) {
	switch key {
	case "id":
		h.ID = value
	case "operator":
		h.Operator = value
	case "machine":
		h.Machine = value
	case "pid":
		h.PID, _ = strconv.Atoi(value)
	case "command":
		h.Command = value
	case "started":
		if s, err := strconv.ParseInt(value, 10, 64); err == nil && s > 0 {
			h.Started = time.Unix(s, 0)
		}
	}
}

// decodeHolder reads key=value lines (those with prefix, which is cut off).
func decodeHolder(text, prefix string) (Holder, bool) {
	var h Holder
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), "=")
		if k, found := strings.CutPrefix(key, prefix); ok && found {
			h.setField(k, value)
		}
	}
	return h, h.ID != ""
}

// pidAlive reports whether a process with pid exists on this machine (one
// owned by another user counts as alive).
func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
