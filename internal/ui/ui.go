// Package ui prints progress and summaries for people: to stderr, coloured only
// on a terminal and never when NO_COLOR is set, with every secret redacted.
package ui

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/k3sup-pi/k3sup-pi/internal/redact"
	"github.com/muesli/termenv"
	"golang.org/x/term"
)

// Printer writes progress lines; it is safe for concurrent use.
type Printer struct {
	mu      sync.Mutex
	w       io.Writer
	start   time.Time
	phase   lipgloss.Style
	host    lipgloss.Style
	warn    lipgloss.Style
	errStyl lipgloss.Style
}

// NewFor returns a Printer on w, coloured when the caller says w is a
// terminal (the command's IO knows) and NO_COLOR is unset.
func NewFor(w io.Writer, terminal bool) *Printer {
	p := &Printer{w: w, start: time.Now()}
	if colorOn(terminal) {
		r := lipgloss.NewRenderer(w)
		if !isTerminal(w) {
			// An injected stream said to be a terminal: lipgloss
			// cannot detect its colours, and the styles use the 16 basic ones.
			r.SetColorProfile(termenv.ANSI)
		}
		p.phase = r.NewStyle().Bold(true).Foreground(lipgloss.Color("12"))
		p.host = r.NewStyle().Foreground(lipgloss.Color("14"))
		p.warn = r.NewStyle().Foreground(lipgloss.Color("11"))
		p.errStyl = r.NewStyle().Bold(true).Foreground(lipgloss.Color("9"))
	}
	return p
}

// colorOn is the one rule: colour on a terminal, never with NO_COLOR set.
func colorOn(terminal bool) bool {
	if _, off := os.LookupEnv("NO_COLOR"); off {
		return false
	}
	return terminal
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (p *Printer) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, redact.String(s))
}

// Phase announces the start of a phase of the run.
func (p *Printer) Phase(name string) {
	p.line(p.phase.Render(fmt.Sprintf("==> %s", name)) + fmt.Sprintf("  (%s)", time.Since(p.start).Round(100*time.Millisecond)))
}

// Hostf prints a line about one host.
func (p *Printer) Hostf(host, format string, args ...any) {
	p.line("    " + p.host.Render(host) + ": " + fmt.Sprintf(format, args...))
}

// Warnf prints a warning.
func (p *Printer) Warnf(format string, args ...any) {
	p.line(p.warn.Render("warning: ") + fmt.Sprintf(format, args...))
}

// Errorf prints an error.
func (p *Printer) Errorf(format string, args ...any) {
	p.line(p.errStyl.Render("error: ") + fmt.Sprintf(format, args...))
}

// Table prints rows as aligned columns; the first row is the header.
func (p *Printer) Table(rows [][]string) {
	if len(rows) == 0 {
		return
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			if i < len(widths) && len(c) > widths[i] && i < len(r)-1 {
				widths[i] = len(c)
			}
		}
	}
	for ri, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i < len(r)-1 {
				fmt.Fprintf(&b, "%-*s  ", widths[i], c)
			} else {
				b.WriteString(c)
			}
		}
		s := b.String()
		if ri == 0 {
			s = p.phase.Render(s)
		}
		p.line(s)
	}
}
