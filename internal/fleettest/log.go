package fleettest

import (
	"fmt"
	"sync"
)

// Log is a progress logger for tests: it records the phases and the
// warnings, and drops the per-host lines.
type Log struct {
	mu       sync.Mutex
	Phases   []string
	Warnings []string
}

// Phase records a phase title.
func (l *Log) Phase(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Phases = append(l.Phases, name)
}

// Hostf drops a line about one host.
func (l *Log) Hostf(string, string, ...any) {}

// Warnf records a warning.
func (l *Log) Warnf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Warnings = append(l.Warnings, fmt.Sprintf(format, args...))
}
