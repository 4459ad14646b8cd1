package main

import (
	"context"
	"fmt"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
	"github.com/spf13/cobra"
)

// addNodeOptions are the `add-node` command's settings.
type addNodeOptions struct {
	*globalOptions
	IO       *ioStreams
	Dial     dialFunc
	Host     string
	Address  string
	Role     string
	Hostname string
	User     string
	Key      string
	LockWait time.Duration
}

func newAddNodeCmd(f *factory, g *globalOptions, runF func(context.Context, *addNodeOptions, *cobra.Command) error) *cobra.Command {
	o := &addNodeOptions{globalOptions: g, IO: f.IO, Dial: f.Dial}
	cmd := &cobra.Command{
		Use:   "add-node",
		Short: "Join one more host to a running cluster, touching no other node",
		Long: `add-node prepares one host like up does (cmdline.txt, reboot, hostname), reads
the join token from the first server, joins the host, waits until it is Ready and
applies its labels and taints. Name a host of the inventory with --host, or give
a new one with --address (and optionally --ssh-user, --ssh-key, --role,
--hostname; these describe a new host and are refused with --host).
Only the servers are read; no other node is changed.`,
		Example: "  k3sup-pi add-node -i inventory.yml --host pi-07\n  k3sup-pi add-node --address 192.168.1.57 --hostname pi-07",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (o.Host == "") == (o.Address == "") {
				return &usageError{msg: "add-node: give exactly one of --host NAME (from the inventory) or --address ADDR"}
			}
			if err := newHostFlagsOnly(cmd, o); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o, cmd)
			}
			return runAddNode(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Host, "host", "", "inventory host to add (its hostname, address, or address:port when hosts share an address)")
	fs.StringVar(&o.Address, "address", "", "address of a host that is not in the inventory")
	fs.StringVar(&o.Role, "role", "agent", "with --address: agent, or server to grow an HA control plane")
	fs.StringVar(&o.Hostname, "hostname", "", "with --address: the hostname to give it")
	fs.StringVar(&o.User, "ssh-user", "", "with --address: SSH user (default: the inventory's)")
	fs.StringVar(&o.Key, "ssh-key", "", "with --address: SSH key (default: the inventory's)")
	addLockWaitFlag(fs, &o.LockWait)
	return cmd
}

func runAddNode(ctx context.Context, o *addNodeOptions) error {
	inv, err := loadInventory(ctx, o.globalOptions, nil)
	if err != nil {
		return err
	}
	h, err := o.newHost(inv)
	if err != nil {
		return err
	}
	sub := *inv
	sub.Hosts = append(inv.Servers(), h)
	if h.Role == inventory.RoleServer {
		sub.Hosts = inv.Servers()
		if _, ok := inv.Host(h.Name()); !ok {
			sub.Hosts = append(sub.Hosts, h)
		}
	}
	p := o.IO.printer()
	locks, local, err := takeLocks(ctx, o.globalOptions, inv, "add-node", o.LockWait, p)
	if err != nil {
		return err
	}
	defer local.Release()
	res, err := steps.Up(ctx, steps.Options{Inventory: &sub, Dial: o.Dial(&sub, o.globalOptions, p), Log: p,
		Only: []string{h.Name()}, JoinCheck: true, Lock: locks})
	if res != nil {
		printSummary(p, res)
	}
	return err
}

// newHostFlagsOnly refuses, with --host, the flags that describe a new host:
// the inventory entry gives those settings, and the flags would be ignored.
func newHostFlagsOnly(cmd *cobra.Command, o *addNodeOptions) error {
	if o.Host == "" {
		return nil
	}
	for _, n := range []string{"role", "hostname", "ssh-user", "ssh-key"} {
		if cmd.Flags().Changed(n) {
			return &usageError{msg: fmt.Sprintf("add-node: --%s goes with --address only; with --host %s the inventory gives the host's settings (change them there)", n, o.Host)}
		}
	}
	return nil
}

// newHost finds the inventory host, or builds one from the flags.
func (o *addNodeOptions) newHost(inv *inventory.Inventory) (inventory.Host, error) {
	if o.Host != "" {
		hs, err := inv.Select([]string{o.Host})
		if err != nil {
			return inventory.Host{}, &usageError{msg: "add-node --host: " + err.Error() + " (or give a new host with --address)"}
		}
		return hs[0], nil
	}
	if o.Role != inventory.RoleAgent && o.Role != inventory.RoleServer {
		return inventory.Host{}, &usageError{msg: "add-node: --role must be agent or server"}
	}
	if len(inv.Matches(o.Address)) > 0 {
		return inventory.Host{}, &usageError{msg: "add-node: " + o.Address + " is already in " + inv.File + "; use --host"}
	}
	if err := steps.CheckNewHost(o.Address, o.Hostname); err != nil {
		return inventory.Host{}, &usageError{msg: "add-node: " + err.Error()}
	}
	return inventory.Host{Address: o.Address, Role: o.Role, Hostname: o.Hostname, User: o.User, Key: o.Key}, nil
}
