package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// rebootScript detaches the reboot so the command returns before the
// connection drops.
const rebootScript = `nohup sh -c 'sleep 2; systemctl reboot || shutdown -r now || reboot' >/dev/null 2>&1 &`

// kernelBootID is the kernel's id of the running boot: new on every boot,
// unlike anything on a disk or a marker someone could delete.
const kernelBootID = "/proc/sys/kernel/random/boot_id"

// bootProbeScript prints the boot id ($1) on the first line and systemd's
// state on the second; it needs no root.
const bootProbeScript = `cat "$1" 2>/dev/null || echo; systemctl is-system-running 2>/dev/null || true`

const (
	rebootPollMin = 250 * time.Millisecond
	rebootPollMax = 5 * time.Second
	// probeTimeout bounds one look at the host, so a connection that hangs
	// while the host goes down cannot eat the whole reboot timeout.
	probeTimeout = 30 * time.Second
)

// The stages of a reboot, for NotBackError.
const (
	// StageNotDown: the host still runs the boot it ran before.
	StageNotDown = iota + 1
	// StageDown: no answer from the new boot (or no answer at all).
	StageDown
	// StageBooting: the new boot answers but systemd has not finished.
	StageBooting
)

// NotBackError is a host that did not come back from a reboot in time.
type NotBackError struct {
	Host    string
	Timeout time.Duration
	Stage   int    // StageNotDown, StageDown or StageBooting
	Last    string // the last thing seen of the host, without its name
}

// Error names the host once, the timeout and the last thing seen.
func (e *NotBackError) Error() string {
	var what string
	switch e.Stage {
	case StageNotDown:
		what = "did not reboot within " + e.Timeout.String() + ": its kernel boot id is still the one from before"
	case StageBooting:
		what = "came back but did not finish booting within " + e.Timeout.String()
	default:
		what = "did not come back within " + e.Timeout.String() + " after the reboot"
	}
	return fmt.Sprintf("%s %s (last seen: %s)", e.Host, what, e.Last)
}

// Reboot reboots the host and waits until it is back: the kernel's boot id,
// read before the reboot, must have changed and `systemctl
// is-system-running` must say running or degraded. A refused host key or
// refused credentials end the wait at once: another try cannot fix them.
// The Client is usable afterwards.
func (c *Client) Reboot(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	before, err := c.readBootID(ctx)
	if err != nil {
		return err
	}
	// A connection that drops before the exit status arrives is the reboot
	// winning the race, not a failure.
	if _, err := c.Run(ctx, Cmd{Script: rebootScript, Sudo: true}); err != nil && !errors.Is(err, errConnLost) {
		return fmt.Errorf("schedule reboot: %w", err)
	}
	return c.waitBack(ctx, before, timeout)
}

// bootProbe is one look at the host: its boot id and systemd's state.
type bootProbe struct{ id, state string }

func (c *Client) probeBoot(ctx context.Context) (bootProbe, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	file := c.bootIDFile
	if file == "" {
		file = kernelBootID
	}
	res, err := c.Run(ctx, Cmd{Script: "set -- " + shellQuote(file) + "; " + bootProbeScript})
	if err != nil {
		return bootProbe{}, err
	}
	id, state, _ := strings.Cut(string(res.Stdout), "\n")
	return bootProbe{id: strings.TrimSpace(id), state: strings.TrimSpace(state)}, nil
}

// readBootID reads the boot id of the running boot.
func (c *Client) readBootID(ctx context.Context) (string, error) {
	p, err := c.probeBoot(ctx)
	if err != nil {
		return "", fmt.Errorf("read the kernel boot id before the reboot: %w", err)
	}
	if p.id == "" {
		return "", fmt.Errorf("%s: cannot read the kernel boot id (%s); refusing to reboot a host whose return cannot be told", c.Name(), kernelBootID)
	}
	return p.id, nil
}

// waitBack polls with growing intervals until the host runs a new boot that
// finished booting, the timeout passes, or an error that no retry can fix.
func (c *Client) waitBack(ctx context.Context, before string, timeout time.Duration) error {
	wait := rebootPollMin
	timer := time.NewTimer(wait)
	defer timer.Stop()
	stage, last := StageNotDown, "the boot from before the reboot"
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return fmt.Errorf("%s: wait for the reboot: %w", c.Name(), ctx.Err())
			}
			return &NotBackError{Host: c.Name(), Timeout: timeout, Stage: stage, Last: last}
		case <-timer.C:
		}
		p, err := c.probeBoot(ctx)
		switch {
		case err != nil && IsPermanent(err):
			return fmt.Errorf("after the reboot: %w", err)
		case err != nil && ctx.Err() != nil:
			// The deadline cut this probe short: keep what was seen before.
		case err != nil:
			stage, last = max(stage, StageDown), c.seen(err)
		case p.id == before && stage == StageNotDown:
			last = "still running the boot from before the reboot"
		case p.id == before:
			last = "answers again with the boot id from before the reboot: the kernel did not restart"
		case p.state == "running" || p.state == "degraded":
			return nil
		default:
			stage, last = StageBooting, fmt.Sprintf("a new boot, systemd state %q", p.state)
		}
		wait = min(wait*2, rebootPollMax)
		timer.Reset(wait)
	}
}

// seen says what a failed probe saw, without the host's name (the
// NotBackError names it): for a network failure just its cause.
func (c *Client) seen(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return "no SSH connection: " + op.Op + ": " + op.Err.Error()
	}
	return strings.TrimPrefix(err.Error(), c.Name()+": ")
}
