package remote

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// rebootScript detaches the reboot so the command returns before the
// connection drops.
const rebootScript = `nohup sh -c 'sleep 2; systemctl reboot || shutdown -r now || reboot' >/dev/null 2>&1 &`

const (
	rebootPollMin = 250 * time.Millisecond
	rebootPollMax = 5 * time.Second
)

// Reboot reboots the host and waits until it is back: a marker written to
// /run (a tmpfs) before the reboot must be gone and `systemctl
// is-system-running` must say running or degraded. The Client is usable
// afterwards.
func (c *Client) Reboot(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dir := c.runDir
	if dir == "" {
		dir = "/run"
	}
	marker := path.Join(dir, "k3sup-pi-reboot."+randomSuffix())
	if _, err := c.Run(ctx, Cmd{Script: "touch " + shellQuote(marker), Sudo: true}); err != nil {
		return fmt.Errorf("%s: write reboot marker: %w", c.Name(), err)
	}
	// A connection that drops before the exit status arrives is the reboot
	// winning the race, not a failure.
	if _, err := c.Run(ctx, Cmd{Script: rebootScript, Sudo: true}); err != nil && !errors.Is(err, errConnLost) {
		return fmt.Errorf("%s: schedule reboot: %w", c.Name(), err)
	}
	return c.waitBack(ctx, marker)
}

// waitBack polls with growing intervals until the host is back.
func (c *Client) waitBack(ctx context.Context, marker string) error {
	wait := rebootPollMin
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var last error
	for {
		select {
		case <-ctx.Done():
			if last == nil {
				last = errors.New("host did not go down")
			}
			return fmt.Errorf("%s: not back after reboot: %w (last: %v)", c.Name(), ctx.Err(), last)
		case <-timer.C:
		}
		back, err := c.backCheck(ctx, marker)
		if back {
			return nil
		}
		last = err
		wait = min(wait*2, rebootPollMax)
		timer.Reset(wait)
	}
}

// backCheck reports whether the host has rebooted and finished booting.
// A failed connect is expected while the host is down.
func (c *Client) backCheck(ctx context.Context, marker string) (bool, error) {
	script := fmt.Sprintf("if [ -e %s ]; then echo old; exit 0; fi; systemctl is-system-running || true", shellQuote(marker))
	res, err := c.Run(ctx, Cmd{Script: script, Sudo: true})
	if err != nil {
		return false, err
	}
	state := strings.TrimSpace(string(res.Stdout))
	switch state {
	case "running", "degraded":
		return true, nil
	case "old":
		return false, errors.New("host has not rebooted yet")
	}
	return false, fmt.Errorf("system state %q", state)
}
