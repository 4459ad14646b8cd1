package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// gather reads the host's facts in one remote command, as root so that the
// root-only files (config.yaml) can be hashed.
func gather(ctx context.Context, n *Node) error {
	res, err := n.Conn.Run(ctx, remote.Cmd{Script: facts.Script(), Sudo: true})
	if err != nil {
		return fmt.Errorf("gather facts on %s: %w", n.Conn.Name(), err)
	}
	f, err := facts.Parse(res.Stdout)
	if err != nil {
		return fmt.Errorf("gather facts on %s: %w", n.Conn.Name(), err)
	}
	n.Facts = f
	return nil
}

// setHostname renames the host the way systemd does, and keeps /etc/hosts
// resolving the new name on 127.0.1.1 as Raspberry Pi OS and Ubuntu expect.
func setHostname(ctx context.Context, n *Node, name string) error {
	q := remote.ShellQuote(name)
	script := `set -e
name=` + q + `
if ! hostnamectl set-hostname "$name" 2>/dev/null; then
  hostname "$name"
  printf '%s\n' "$name" > /etc/hostname
fi
if grep -q '^127\.0\.1\.1[[:space:]]' /etc/hosts; then
  sed -i "s/^127\.0\.1\.1[[:space:]].*/127.0.1.1\t$name/" /etc/hosts
else
  printf '127.0.1.1\t%s\n' "$name" >> /etc/hosts
fi`
	if _, err := n.Conn.Run(ctx, remote.Cmd{Script: script, Sudo: true}); err != nil {
		return fmt.Errorf("set hostname %s on %s: %w", name, n.Conn.Name(), err)
	}
	n.Facts.Hostname = name
	n.note("hostname set to %s", name)
	return nil
}

// vxlanScript makes sure the kernel has the vxlan module, installing
// linux-modules-extra-raspi when it lacks it; it prints "installed" when it did.
// apt's output goes to a private mktemp file (never a fixed name in /tmp, where
// anyone could plant a symlink for root to write through), removed on exit.
const vxlanScript = `modinfo vxlan >/dev/null 2>&1 && exit 0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-modules-extra-raspi >"$log" 2>&1; then
  tail -n 3 "$log" >&2
  echo "could not install linux-modules-extra-raspi (offline?); install it by hand: apt-get install linux-modules-extra-raspi" >&2
  exit 1
fi
modprobe vxlan 2>/dev/null || true
echo installed`

// ensureVxlan installs the vxlan kernel module package where the OS needs it.
func ensureVxlan(ctx context.Context, n *Node) error {
	res, err := n.Conn.Run(ctx, remote.Cmd{Script: vxlanScript, Sudo: true})
	if err != nil {
		return fmt.Errorf("vxlan module on %s: %w", n.Conn.Name(), err)
	}
	if strings.TrimSpace(string(res.Stdout)) == "installed" {
		n.note("installed linux-modules-extra-raspi (vxlan)")
	}
	return nil
}

// rebootAndVerify reboots the host, waits for it, reads its facts again and
// checks that the memory cgroup is really on now. Reboot's errors name the
// host already.
func rebootAndVerify(ctx context.Context, n *Node, timeout time.Duration, reason string) error {
	start := time.Now()
	if err := n.Conn.Reboot(ctx, timeout); err != nil {
		return err
	}
	n.note("rebooted (%s) in %s", reason, time.Since(start).Round(time.Second))
	if err := gather(ctx, n); err != nil {
		return err
	}
	if f := preflight.MemoryCgroupAfterReboot(n.Conn.Name(), n.Facts); f != nil {
		return fmt.Errorf("%s", f.String())
	}
	return nil
}
