package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// rebootAll reboots the hosts whose plan asks for it. Servers of a
// multi-server cluster that already run k3s go one at a time, each back and
// its node Ready before the next, so etcd keeps its quorum; every other host
// (no k3s yet, agents, a lone server) reboots together with the rest. A
// failed server stops the rolling reboot: the next one keeps running.
func (r *run) rebootAll(ctx context.Context) error {
	together, rolling := r.rebootGroups()
	err := fleet.ForEach(ctx, together, r.inv.Cluster.Concurrency, func(ctx context.Context, n *fleet.Node) error {
		r.opt.Log.Hostf(n.Host.Name(), "rebooting: %s", r.prep[n].RebootReason)
		return r.reboot(ctx, n)
	})
	for _, n := range rolling {
		if e := fleet.Stopped(ctx); e != nil {
			return errors.Join(err, e)
		}
		if e := r.rebootServer(ctx, n); e != nil {
			return errors.Join(err, e)
		}
	}
	return err
}

// rebootGroups splits the hosts to reboot into those that may go together
// and the running HA servers that must go one at a time (inventory order).
func (r *run) rebootGroups() (together, rolling []*fleet.Node) {
	ha := len(r.servers) > 1
	for _, n := range r.touched() {
		if !r.prep[n].Reboot {
			continue
		}
		if ha && n.Host.Role == role.Server && runsK3s(n) {
			rolling = append(rolling, n)
		} else {
			together = append(together, n)
		}
	}
	return together, rolling
}

// runsK3s reports whether the host's k3s service was running when its facts
// were read.
func runsK3s(n *fleet.Node) bool { return n.Facts.K3sRole != "" && n.Facts.ServiceActive }

// rebootServer reboots one running server, then waits until its k3s service
// is up again and its node Ready, read through another server.
func (r *run) rebootServer(ctx context.Context, n *fleet.Node) error {
	r.opt.Log.Hostf(n.Host.Name(), "rebooting (servers one at a time, for etcd quorum): %s", r.prep[n].RebootReason)
	if err := r.reboot(ctx, n); err != nil {
		return err
	}
	res, err := n.Conn.Run(ctx, remote.Argv("systemctl", "is-active", "k3s"))
	var ee *remote.ExitError
	state := strings.TrimSpace(string(res.Stdout))
	switch {
	case errors.As(err, &ee): // is-active exits non-zero unless active, its state on stdout
		state = strings.TrimSpace(ee.Stdout)
	case err != nil:
		return fmt.Errorf("after the reboot: %w", err)
	}
	if state != "active" {
		return fmt.Errorf("%s: k3s is %q after the reboot; the next server is not rebooted: "+
			"check `journalctl -u k3s` on it", n.Host.Name(), state)
	}
	if err := r.cl.WaitReady(ctx, map[string]string{n.NodeName(): ""}, r.inv.Cluster.ReadyTimeout, n); err != nil {
		return fmt.Errorf("%s after the reboot: %w; the next server is not rebooted", n.Host.Name(), err)
	}
	return nil
}

// reboot reboots one host (rebootAndVerify); a host that does not come back
// gets the way back named: its console, its SD card and the backup of its
// cmdline.txt.
func (r *run) reboot(ctx context.Context, n *fleet.Node) error {
	p := r.prep[n]
	err := rebootAndVerify(ctx, n, r.inv.Cluster.RebootTimeout, p.RebootReason)
	var nb *remote.NotBackError
	if errors.As(err, &nb) {
		return fmt.Errorf("%w; %s", err, notBackAdvice(n.Facts, p.PatchCmdline))
	}
	return err
}

// notBackAdvice says what to check on a host that did not come back, and
// where the cmdline.txt backup is when there is one (made now, or by an
// earlier run).
func notBackAdvice(f facts.Facts, patched bool) string {
	check := "check the board's console (HDMI or serial) for boot errors and that its SD card is seated and not failing"
	if f.CmdlinePath == "" || !(patched || f.CmdlineBak) {
		return check
	}
	return fmt.Sprintf("%s; it boots from %s, and k3sup-pi kept the line from before its change in %s%s: "+
		"if the board does not boot, put its SD card in another computer and copy that backup over cmdline.txt",
		check, f.CmdlinePath, f.CmdlinePath, hostpath.CmdlineBackupSuffix)
}
