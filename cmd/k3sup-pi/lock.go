package main

import (
	"context"
	"fmt"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/lock"
	"github.com/k3sup-pi/k3sup-pi/internal/ui"
	"github.com/spf13/pflag"
)

// addLockWaitFlag adds --lock-wait to a command that changes hosts.
func addLockWaitFlag(f *pflag.FlagSet, wait *time.Duration) {
	f.DurationVar(wait, "lock-wait", 0,
		"when another run holds this inventory or one of its hosts, wait up to this long (like 10m) instead of refusing at once (exit 3)")
}

// takeLocks takes this machine's lock on the inventory, waiting up to wait,
// and returns what the run needs to lock its hosts with the rest of the wait,
// and the local lock to release when the run ends.
func takeLocks(ctx context.Context, g *globalOptions, inv *inventory.Inventory, command string, wait time.Duration, p *ui.Printer) (*lock.HostOptions, *lock.Local, error) {
	me := lock.NewHolder(command)
	warn := func(msg string) { p.Warnf("%s", msg) }
	start := time.Now()
	wctx, cancel := fleet.StopContext(ctx) // Ctrl-C ends the wait for another run
	local, err := lock.LockInventory(wctx, g.inventoryPath(), me, wait, 0, warn)
	cancel()
	if err != nil && fleet.Stopped(ctx) != nil {
		return nil, nil, fmt.Errorf("wait for the lock on this machine: %w", fleet.ErrInterrupted)
	}
	if err != nil {
		return nil, nil, err
	}
	return &lock.HostOptions{Holder: me, Wait: max(wait-time.Since(start), 0), Grace: inv.Cluster.RebootTimeout,
		Limit: inv.Cluster.Concurrency, Warn: warn}, local, nil
}
