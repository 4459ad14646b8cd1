package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
)

// interruptible returns the context a command runs under and the function
// that ends the watch. The first SIGINT or SIGTERM asks the run to stop
// (fleet.WithStop): nothing new starts, the steps already running end (or
// roll back) within their own deadlines, the locks are released and the
// command exits 130. The second ends the process at once with exit(130).
func interruptible(w io.Writer, exit func(int)) (context.Context, func()) {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	stopCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
		case <-done:
			return
		}
		fmt.Fprintln(w, "interrupt: starting nothing new, letting the running steps end (Ctrl-C again stops at once)")
		stop()
		select {
		case <-sig:
		case <-done:
			return
		}
		fmt.Fprintln(w, "interrupt: stopped at once; a re-run recovers the locks left behind and converges")
		exit(exitInterrupted)
	}()
	return fleet.WithStop(context.Background(), stopCtx), func() {
		signal.Stop(sig)
		close(done)
		stop()
	}
}
