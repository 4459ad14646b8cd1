package main

import (
	"io"
	"os"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
	"github.com/k3sup-pi/k3sup-pi/internal/ui"
	"golang.org/x/term"
)

// ioStreams are a command's standard streams and whether they are terminals:
// data goes to Out, progress to Err (coloured only when ErrTTY), and a
// question is asked only when InTTY.
type ioStreams struct {
	In       io.Reader
	Out, Err io.Writer
	InTTY    bool
	ErrTTY   bool
}

// systemIO is the process's own streams.
func systemIO() *ioStreams {
	return &ioStreams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTTY: term.IsTerminal(int(os.Stdin.Fd())), ErrTTY: term.IsTerminal(int(os.Stderr.Fd()))}
}

// printer is the progress printer on Err; ui decides on colour (never with NO_COLOR).
func (s *ioStreams) printer() *ui.Printer {
	return ui.NewFor(s.Err, s.ErrTTY)
}

// dialFunc returns the Dialer a command reaches the hosts of inv with: the
// inventory's SSH settings and the command line's host key flags in g;
// warnings go to p.
type dialFunc func(inv *inventory.Inventory, g *globalOptions, p *ui.Printer) steps.Dialer

// factory is what every command is given: its streams and its dialer. Tests
// give fakes of both and run a command end to end with neither SSH nor a
// terminal.
type factory struct {
	IO   *ioStreams
	Dial dialFunc
}

// systemFactory is the real thing: the process's streams and SSH.
func systemFactory() *factory {
	return &factory{IO: systemIO(), Dial: newDialer}
}
