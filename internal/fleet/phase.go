package fleet

import (
	"context"
	"fmt"
)

// Phase is one stage of a command (after k0sctl's phases): a title, the
// hosts it must touch, chosen from the plans (the same pure planners a dry
// run prints), and what it does to them. A phase that selects no host is
// skipped and not logged, so a run with nothing to do says so by its silence.
type Phase struct {
	Title string
	// Select returns the hosts the phase must touch; it may read (never
	// change) the hosts or the cluster to find out.
	Select func(ctx context.Context) ([]*Node, error)
	// Run acts on the selected hosts.
	Run func(ctx context.Context, nodes []*Node) error
}

// RunPhases runs the phases in order and stops at the first that fails; its
// error is wrapped with the phase's title. Once the user asked the run to
// stop (WithStop) it starts no further phase and returns ErrInterrupted.
func RunPhases(ctx context.Context, log Logger, phases ...Phase) error {
	for _, p := range phases {
		if err := Stopped(ctx); err != nil {
			return err
		}
		nodes, err := p.Select(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Title, err)
		}
		if len(nodes) == 0 {
			continue
		}
		log.Phase(p.Title)
		if err := p.Run(ctx, nodes); err != nil {
			return fmt.Errorf("%s: %w", p.Title, err)
		}
	}
	return nil
}

// Selected returns a Select that picks the nodes for which want is true.
func Selected(nodes func() []*Node, want func(*Node) bool) func(context.Context) ([]*Node, error) {
	return func(context.Context) ([]*Node, error) {
		var out []*Node
		for _, n := range nodes() {
			if want(n) {
				out = append(out, n)
			}
		}
		return out, nil
	}
}
