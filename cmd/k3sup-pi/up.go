package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/lock"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
	"github.com/k3sup-pi/k3sup-pi/internal/ui"
	"github.com/spf13/cobra"
)

// upOptions are the `up` command's settings, apart from the cobra plumbing.
type upOptions struct {
	*globalOptions
	IO             *ioStreams
	Dial           dialFunc
	DryRun         bool
	PreflightOnly  bool
	AllowLowMemory bool
	LockWait       time.Duration
}

func newUpCmd(f *factory, g *globalOptions, runF func(context.Context, *upOptions, *cobra.Command) error) *cobra.Command {
	o := &upOptions{globalOptions: g, IO: f.IO, Dial: f.Dial}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Bring every host of the inventory to a Ready k3s cluster",
		Long: `up connects to every host, checks it (preflight), patches cmdline.txt for the
memory cgroup and reboots where needed, installs the first server, further
servers one at a time, agents in batches, then applies labels and taints and
writes the kubeconfig. A second run on a healthy cluster changes nothing.

An agent whose install fails or that is not Ready within ready_timeout fails
alone: its batch finishes, and the next batch starts only while no more agents
failed than --max-failures allows (a count like 3 or a percentage of the
agents like 10%; default 0: the first batch with a failure is the last). The
run then exits 1 naming each failed agent and why; run up again once they are
fixed: it finishes them and changes nothing else.

Ctrl-C starts nothing new, lets the running steps (and the agent batch under
way) end, releases the locks, prints what was done and the hosts not started,
and exits 130; a second Ctrl-C ends at once. Run up again to finish.`,
		Example: "  k3sup-pi up -i inventory.yml\n  k3sup-pi up --dry-run\n  k3sup-pi up --k3s-version v1.31.5+k3s1   # upgrade in place",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := exclusive(cmd, "dry-run", "preflight-only"); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o, cmd)
			}
			return runUp(cmd.Context(), o, cmd)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.DryRun, "dry-run", false, "print what would change on each host and change nothing")
	fs.BoolVar(&o.PreflightOnly, "preflight-only", false, "run the checks on every host and stop")
	fs.BoolVar(&o.AllowLowMemory, "allow-low-memory", false, "only warn (not refuse) when a server has less than 2 GB")
	addOverrideFlags(fs)
	addLockWaitFlag(fs, &o.LockWait)
	return cmd
}

func runUp(ctx context.Context, o *upOptions, cmd *cobra.Command) error {
	inv, err := loadInventory(ctx, o.globalOptions, cmd.Flags())
	if err != nil {
		return err
	}
	p := o.IO.printer()
	opt := steps.Options{
		Inventory: inv, Dial: o.Dial(inv, o.globalOptions, p), Log: p,
		DryRun: o.DryRun, PreflightOnly: o.PreflightOnly, AllowLowMemory: o.AllowLowMemory,
		WriteKubeconfig: true,
	}
	if !o.DryRun && !o.PreflightOnly { // read-only runs take no lock
		var local *lock.Local
		if opt.Lock, local, err = takeLocks(ctx, o.globalOptions, inv, "up", o.LockWait, p); err != nil {
			return err
		}
		defer local.Release()
	}
	res, err := steps.Up(ctx, opt)
	if res != nil {
		switch {
		case o.DryRun && err == nil:
			printPlan(p, res)
		case o.PreflightOnly:
			printFindings(p, res)
		default:
			printSummary(p, res)
		}
	}
	return err
}

// printPlan shows the dry run's plan per host.
func printPlan(p *ui.Printer, res *steps.Result) {
	rows := [][]string{{"HOST", "ROLE", "PLANNED CHANGES"}}
	for _, hp := range res.Plans {
		rows = append(rows, []string{hp.Host, string(hp.Role), describePlan(hp)})
	}
	p.Table(rows)
	p.Phase("dry run: nothing was changed")
}

// describePlan says in words what a host's plan changes.
func describePlan(hp steps.HostPlan) string {
	var parts []string
	if hp.Prep.SetHostname != "" {
		parts = append(parts, "set hostname "+hp.Prep.SetHostname)
	}
	if hp.Prep.VxlanModules {
		parts = append(parts, "ensure linux-modules-extra-raspi")
	}
	if hp.Prep.PatchCmdline {
		parts = append(parts, "patch cmdline.txt")
	}
	if hp.Prep.Reboot {
		parts = append(parts, "reboot")
	}
	k := hp.K3s
	if k.WriteConfig {
		parts = append(parts, "write config.yaml")
	}
	if k.Install {
		parts = append(parts, "install k3s ("+k.InstallReason+")")
	}
	if k.Restart {
		parts = append(parts, "restart k3s ("+k.RestartReason+")")
	}
	if k.Start {
		parts = append(parts, "start k3s")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// printFindings lists the preflight findings.
func printFindings(p *ui.Printer, res *steps.Result) {
	if len(res.Findings) == 0 {
		p.Phase("preflight: every check passed")
		return
	}
	for _, f := range res.Findings {
		host := f.Host
		if host == "" {
			host = "fleet"
		}
		p.Hostf(host, "%s", strings.TrimPrefix(f.String(), host+": "))
	}
}

// printSummary shows what changed on each host.
func printSummary(p *ui.Printer, res *steps.Result) {
	rows := [][]string{{"HOST", "ROLE", "NODE", "CHANGES"}}
	total := 0
	failed := map[string]bool{}
	for _, f := range res.Failed {
		failed[f.Host] = true
	}
	for _, n := range res.Nodes {
		changes := "none"
		if len(n.Changes) > 0 {
			changes = strings.Join(n.Changes, "; ")
			total += len(n.Changes)
		}
		if failed[n.Host.Name()] {
			changes += "; FAILED (see the error below)"
		}
		rows = append(rows, []string{n.Host.Name(), string(n.Host.Role), n.NodeName(), changes})
	}
	for _, d := range res.Down {
		rows = append(rows, []string{d.Host.Name(), string(d.Host.Role), d.Host.Hostname, "NOT REACHED, left out (see the error below)"})
	}
	p.Table(rows)
	if res.Kubeconfig != "" {
		p.Phase("kubeconfig written to " + res.Kubeconfig)
	}
	p.Phase(fmt.Sprintf("%d changes on %d hosts", total, len(res.Nodes)))
}
