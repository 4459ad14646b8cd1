package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/lock"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
	"github.com/k3sup-pi/k3sup-pi/internal/ui"
	"github.com/spf13/cobra"
)

// resetOptions are the `reset` command's settings.
type resetOptions struct {
	*globalOptions
	IO             *ioStreams
	Dial           dialFunc
	Hosts          []string
	RestoreCmdline bool
	Yes            bool
	DryRun         bool
	LockWait       time.Duration
}

func newResetCmd(f *factory, g *globalOptions, runF func(context.Context, *resetOptions, *cobra.Command) error) *cobra.Command {
	o := &resetOptions{globalOptions: g, IO: f.IO, Dial: f.Dial}
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Remove k3s and what k3sup-pi wrote from the hosts",
		Long: `reset uninstalls k3s with its own scripts (k3s-agent-uninstall.sh,
k3s-uninstall.sh): agents first, in parallel, then servers one at a time with the
first (init) server last. It then removes what k3sup-pi and k3s leave behind:
config.yaml, the node password in /etc/rancher/node, the staged installer in
/var/lib/k3sup-pi, and /etc/rancher and /var/lib/rancher when nothing else is in them.

--host limits the reset to the named hosts. While servers of the cluster stay,
each node is drained before and deleted from the cluster after its uninstall,
with its node-password secret (kube-system/<node>.node-password.k3s), so the
host can join again under the same name. When no server that stays runs k3s,
the node cannot be deleted: /etc/rancher/node is then kept, so that the host
still holds the password its node name is registered with.
--restore-cmdline undoes up's edit of cmdline.txt: when the file is still exactly
what up wrote (up records its sha256 in /var/lib/k3sup-pi/cmdline.record), the
backup up took (cmdline.txt.k3sup-pi.bak) goes back byte for byte; when it was
edited since (say, a new root=PARTUUID= after moving the root file system), only
the flags up added are removed and every edit stays. Either way the new line is
written with a checksum-verified atomic write, the plan and the question show the
line before and after, and the hosts whose line changed reboot, all together.

Not undone: hostnames set by up stay, and local files (the kubeconfig written by
up) are left alone. A host with nothing to reset is not touched and is reported
"already clean".

reset asks for confirmation on a terminal; without one, pass --yes.`,
		Example: "  k3sup-pi reset -i inventory.yml\n  k3sup-pi reset --host pi-07 --yes\n  k3sup-pi reset --restore-cmdline --dry-run",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), o, cmd)
			}
			return runReset(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&o.Hosts, "host", nil, "reset only this host (hostname, address, or address:port when hosts share an address; repeat for more)")
	fs.BoolVar(&o.RestoreCmdline, "restore-cmdline", false, "undo up's cmdline.txt edit (the backup when the file is unchanged since, else just the flags up added) and reboot those hosts")
	fs.BoolVarP(&o.Yes, "yes", "y", false, "do not ask for confirmation")
	fs.BoolVar(&o.DryRun, "dry-run", false, "print what would be done on each host and change nothing")
	addLockWaitFlag(fs, &o.LockWait)
	return cmd
}

func runReset(ctx context.Context, o *resetOptions) error {
	confirm, err := o.confirmer()
	if err != nil {
		return err
	}
	inv, err := loadInventory(ctx, o.globalOptions, nil)
	if err != nil {
		return err
	}
	p := o.IO.printer()
	opt := steps.ResetOptions{
		Inventory: inv, Dial: o.Dial(inv, o.globalOptions, p), Log: p,
		Hosts: o.Hosts, RestoreCmdline: o.RestoreCmdline, DryRun: o.DryRun, Confirm: confirm,
	}
	if !o.DryRun { // a dry run takes no lock
		var local *lock.Local
		if opt.Lock, local, err = takeLocks(ctx, o.globalOptions, inv, "reset", o.LockWait, p); err != nil {
			return err
		}
		defer local.Release()
	}
	res, err := steps.Reset(ctx, opt)
	if res != nil {
		printReset(p, res, o.DryRun)
	}
	return err
}

// confirmer returns the question asked before any change: none with --yes or
// --dry-run; on a terminal, a y/N prompt; without one, a usage error.
func (o *resetOptions) confirmer() (func(*steps.ResetResult) error, error) {
	if o.Yes || o.DryRun {
		return nil, nil
	}
	if !o.IO.InTTY {
		return nil, &usageError{msg: "reset: no terminal to confirm on; pass --yes to reset without asking (or --dry-run to see what would be done)"}
	}
	return func(plan *steps.ResetResult) error { return askReset(o.IO.In, o.IO.Err, plan) }, nil
}

// errNotConfirmed is returned when the answer to the question is not yes.
var errNotConfirmed = errors.New("reset: not confirmed; nothing was changed")

// askReset shows the cmdline.txt lines that change, asks "Reset N hosts
// (list)? [y/N]" on w and reads the answer from r.
func askReset(r io.Reader, w io.Writer, plan *steps.ResetResult) error {
	var hosts []string
	for _, h := range plan.Hosts {
		if len(h.Actions) > 0 {
			hosts = append(hosts, h.Host)
		}
	}
	for _, l := range cmdlineLines(plan) {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, "Reset %d hosts (%s)? [y/N] ", len(hosts), strings.Join(hosts, ", "))
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && line == "" {
		return errNotConfirmed
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errNotConfirmed
}

// printReset shows what was (or would be) done on each host.
func printReset(p *ui.Printer, res *steps.ResetResult, dryRun bool) {
	head := "DONE"
	if dryRun {
		head = "WOULD DO"
	}
	rows := [][]string{{"HOST", "ROLE", "NODE", head}}
	for _, h := range res.Hosts {
		rows = append(rows, []string{h.Host, h.Role, h.Node, describeReset(h, dryRun)})
	}
	p.Table(rows)
	for _, h := range res.Hosts {
		if c := h.Cmdline; c.Changes() {
			p.Hostf(h.Host, "%s before: %s", c.Path, strings.TrimRight(c.Before, "\r\n"))
			p.Hostf(h.Host, "%s after:  %s", c.Path, strings.TrimRight(c.After, "\r\n"))
		}
	}
	if dryRun {
		p.Phase(fmt.Sprintf("dry run: %d of %d hosts would change; nothing was changed", res.Changed(), len(res.Hosts)))
		return
	}
	p.Phase(fmt.Sprintf("%d of %d hosts changed", changedNow(res), len(res.Hosts)))
	p.Phase("local files (the kubeconfig) were left alone")
}

// describeReset says in words what happened (or would happen) on one host.
func describeReset(h steps.ResetHost, dryRun bool) string {
	switch {
	case len(h.Actions) == 0:
		return "already clean"
	case h.Pending && !dryRun:
		return "not reached; planned: " + strings.Join(h.Actions, "; ")
	}
	return strings.Join(h.Actions, "; ")
}

// changedNow counts the hosts where something was done (not just planned).
func changedNow(res *steps.ResetResult) int {
	n := 0
	for _, h := range res.Hosts {
		if len(h.Actions) > 0 && !h.Pending {
			n++
		}
	}
	return n
}

// cmdlineLines shows, per host whose cmdline.txt changes, its line before and after.
func cmdlineLines(res *steps.ResetResult) []string {
	var out []string
	for _, h := range res.Hosts {
		c := h.Cmdline
		if !c.Changes() {
			continue
		}
		out = append(out, h.Host+": "+c.Path+":",
			"  before: "+strings.TrimRight(c.Before, "\r\n"),
			"  after:  "+strings.TrimRight(c.After, "\r\n"))
	}
	return out
}
