// Command k3sup-pi brings up k3s on fleets of Raspberry Pis over SSH.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/lock"
	"github.com/k3sup-pi/k3sup-pi/internal/redact"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
	"github.com/spf13/cobra"
)

// Exit codes, mapped from typed errors in one place.
const (
	exitOK       = 0
	exitFailed   = 1 // a host or the cluster failed
	exitBadInput = 2 // the inventory or the flags are wrong; nothing was touched
	exitRefused  = 3 // preflight refused, or another run holds the lock; nothing was touched
	// exitInterrupted: Ctrl-C (SIGINT) or SIGTERM stopped the run (128+SIGINT, as shells report it).
	exitInterrupted = 130
)

func main() {
	ctx, stop := interruptible(os.Stderr, os.Exit)
	code := run(ctx, os.Args[1:], systemFactory())
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code: every
// command's error ends here and is mapped by exitCode.
func run(ctx context.Context, args []string, f *factory) int {
	root := newRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	f.IO.printer().Errorf("%s", redact.Error(err))
	return exitCode(err)
}

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var inv *inventory.Error
	var usage *usageError
	var sel *inventory.SelectError
	var refused *steps.RefusedError
	var busy *lock.BusyError
	switch {
	case errors.Is(err, fleet.ErrInterrupted):
		return exitInterrupted
	case errors.As(err, &inv), errors.As(err, &usage), errors.As(err, &sel):
		return exitBadInput
	case errors.As(err, &refused), errors.As(err, &busy):
		return exitRefused
	}
	return exitFailed
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// newUsageError is a usage error found by cobra while parsing c's command
// line; it ends with cobra's hint where to find the usage.
func newUsageError(c *cobra.Command, format string, args ...any) *usageError {
	return &usageError{msg: fmt.Sprintf(format, args...) + fmt.Sprintf("\nRun '%s --help' for usage.", c.CommandPath())}
}
