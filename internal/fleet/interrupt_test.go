package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
)

// TestStopped: a run's context says "stopped" only after the user's stop,
// and a StopContext ends with it while the run's own context goes on.
func TestStopped(t *testing.T) {
	if err := fleet.Stopped(context.Background()); err != nil {
		t.Errorf("no stop carried: %v", err)
	}
	stop, cancelStop := context.WithCancel(context.Background())
	ctx := fleet.WithStop(context.Background(), stop)
	wait, done := fleet.StopContext(ctx)
	defer done()
	if err := fleet.Stopped(ctx); err != nil || wait.Err() != nil {
		t.Fatalf("before the stop: %v, wait %v", err, wait.Err())
	}
	cancelStop()
	<-wait.Done()
	if err := fleet.Stopped(ctx); !errors.Is(err, fleet.ErrInterrupted) || ctx.Err() != nil {
		t.Errorf("after the stop: %v, run context %v", err, ctx.Err())
	}
	plain, plainDone := fleet.StopContext(context.Background())
	plainDone()
	if plain.Err() == nil {
		t.Error("a StopContext without a stop did not end with its cancel")
	}
}

func TestInterruptedError(t *testing.T) {
	hostErr := errors.New("pi-2: install failed")
	tests := []struct {
		name string
		err  fleet.InterruptedError
		want string
	}{
		{"nothing left", fleet.InterruptedError{Cause: fleet.ErrInterrupted}, "interrupted: 0 hosts not started"},
		{"hosts left, wrapped cause", fleet.InterruptedError{NotStarted: []string{"pi-3", "pi-4"}, Cause: fmt.Errorf("agents: %w", fleet.ErrInterrupted)},
			"interrupted: 2 hosts not started: pi-3, pi-4"},
		{"joined only interruptions", fleet.InterruptedError{Cause: errors.Join(fleet.ErrInterrupted, fleet.ErrInterrupted)}, "interrupted: 0 hosts not started"},
		{"a host error beside it", fleet.InterruptedError{NotStarted: []string{"pi-3"}, Cause: errors.Join(fleet.ErrInterrupted, hostErr)},
			"interrupted: 1 hosts not started: pi-3\n" + errors.Join(fleet.ErrInterrupted, hostErr).Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(&tt.err, fleet.ErrInterrupted) {
				t.Error("does not unwrap to ErrInterrupted")
			}
		})
	}
}
