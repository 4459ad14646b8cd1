package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// stopKey carries, in a run's context, the context that is done once the user
// asked the run to stop (the first Ctrl-C).
type stopKey struct{}

// WithStop returns ctx carrying stop: once stop is done the run starts no new
// work (no phase, batch or host step) while the work already running goes on
// under ctx, to its own deadline, so no host is left mid-write.
func WithStop(ctx, stop context.Context) context.Context {
	return context.WithValue(ctx, stopKey{}, stop)
}

// ErrInterrupted is the cause of a run stopped by the user before its end.
var ErrInterrupted = errors.New("interrupted")

// Stopped returns ErrInterrupted once the user asked the run carried by ctx
// to stop, nil before.
func Stopped(ctx context.Context) error {
	if stop, ok := ctx.Value(stopKey{}).(context.Context); ok && stop.Err() != nil {
		return ErrInterrupted
	}
	return nil
}

// StopContext returns a context done when ctx is or when the user asks the
// run to stop: for waits that are no work on a host (a lock held elsewhere).
func StopContext(ctx context.Context) (context.Context, context.CancelFunc) {
	stop, ok := ctx.Value(stopKey{}).(context.Context)
	if !ok {
		return context.WithCancel(ctx)
	}
	c, cancel := context.WithCancel(ctx)
	unhook := context.AfterFunc(stop, cancel)
	return c, func() { unhook(); cancel() }
}

// InterruptedError is a run the user stopped: what it had not started yet,
// and the errors of the work that ran (if any).
type InterruptedError struct {
	NotStarted []string // hosts with planned changes that got none
	Cause      error    // ErrInterrupted, possibly joined with host errors
}

func (e *InterruptedError) Error() string {
	msg := fmt.Sprintf("interrupted: %d hosts not started", len(e.NotStarted))
	if len(e.NotStarted) > 0 {
		msg += ": " + strings.Join(e.NotStarted, ", ")
	}
	if e.Cause != nil && !onlyInterrupted(e.Cause) {
		msg += "\n" + e.Cause.Error()
	}
	return msg
}

// onlyInterrupted tells whether err is ErrInterrupted, wrapped or joined,
// with no other error beside it.
func onlyInterrupted(err error) bool {
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if !onlyInterrupted(e) {
				return false
			}
		}
		return true
	case interface{ Unwrap() error }:
		return onlyInterrupted(u.Unwrap())
	}
	return err == ErrInterrupted
}

func (e *InterruptedError) Unwrap() error { return e.Cause }
