package steps

import (
	"context"
	_ "embed" // hostname.sh, vxlan.sh
	"fmt"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// The scripts of the prepare phase.
var (
	//go:embed hostname.sh
	hostnameSh string
	//go:embed vxlan.sh
	vxlanSh string
)

// setHostname renames the host the way systemd does (hostname.sh).
func setHostname(ctx context.Context, n *fleet.Node, name string) error {
	if _, err := n.Conn.Run(ctx, remote.Script(hostnameSh, name).Root()); err != nil {
		return fmt.Errorf("set hostname %s: %w", name, err) // the remote error names the host
	}
	n.Facts.Hostname = name
	n.Note("hostname set to %s", name)
	return nil
}

// ensureVxlan installs the vxlan kernel module package where the OS needs it.
func ensureVxlan(ctx context.Context, n *fleet.Node) error {
	res, err := n.Conn.Run(ctx, remote.Script(vxlanSh).Root())
	if err != nil {
		return fmt.Errorf("vxlan module: %w", err) // the remote error names the host
	}
	if strings.TrimSpace(string(res.Stdout)) == "installed" {
		n.Note("installed linux-modules-extra-raspi (vxlan)")
	}
	return nil
}

// rebootAndVerify reboots the host, waits for it, reads its facts again and
// checks that the memory cgroup is really on now. Reboot's errors name the
// host already.
func rebootAndVerify(ctx context.Context, n *fleet.Node, timeout time.Duration, reason string) error {
	start := time.Now()
	if err := n.Conn.Reboot(ctx, timeout); err != nil {
		return err
	}
	n.Note("rebooted (%s) in %s", reason, time.Since(start).Round(time.Second))
	if err := fleet.Gather(ctx, n); err != nil {
		return err
	}
	if f := preflight.MemoryCgroupAfterReboot(n.Conn.Name(), n.Facts); f != nil {
		return fmt.Errorf("%s", f.String())
	}
	return nil
}
