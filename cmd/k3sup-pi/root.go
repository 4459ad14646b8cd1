package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	Inventory         string
	AcceptNewHostKeys bool
	InsecureHostKeys  bool
}

func newRootCmd(f *factory) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "k3sup-pi",
		Short: "Bring up k3s on fleets of Raspberry Pis over SSH, idempotently",
		Long: `k3sup-pi prepares Raspberry Pis (memory cgroups in cmdline.txt, hostnames),
installs the k3s servers and agents, applies labels and taints and writes the
kubeconfig. Every step checks first: a second run on a healthy cluster changes
nothing and restarts nothing.

Progress goes to stderr; stdout carries only data (the kubeconfig).
Flags and K3SUP_PI_* environment variables override inventory values.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.Err)
	root.SetIn(f.IO.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return newUsageError(c, "%v", err) })
	// A root with a RunE and Args validates its arguments itself: cobra's
	// built-in "unknown command" error is a plain error that would exit 1.
	root.Args = unknownCommand
	root.SuggestionsMinimumDistance = 2
	root.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		return exclusive(c, "accept-new-host-keys", "insecure-ignore-host-keys")
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&g.Inventory, "inventory", "i", "", "inventory file (default $K3SUP_PI_INVENTORY or ./inventory.yml)")
	pf.BoolVar(&g.AcceptNewHostKeys, "accept-new-host-keys", false,
		"record the keys of hosts not yet in known_hosts (like OpenSSH's StrictHostKeyChecking=accept-new); changed keys are still refused")
	pf.BoolVar(&g.InsecureHostKeys, "insecure-ignore-host-keys", false, "DANGEROUS: do not verify host keys at all")
	root.AddCommand(newUpCmd(f, g, nil), newAddNodeCmd(f, g, nil), newKubeconfigCmd(f, g, nil), newResetCmd(f, g, nil), newDoctorCmd(f, g, nil))
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	argsAreUsage(root)
	return root
}

// unknownCommand refuses a root command line whose first word is not a command.
func unknownCommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return newUsageError(c, "%s", msg)
}

// noArgs refuses positional arguments for a command that takes flags only.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return newUsageError(c, "unexpected argument %q: %s takes flags only, no arguments", args[0], c.CommandPath())
}

// argsAreUsage makes the argument check of c and every command below it
// return a usage error (exit 2), with cobra's usage hint.
func argsAreUsage(c *cobra.Command) {
	for _, sub := range c.Commands() {
		argsAreUsage(sub)
	}
	check := c.Args
	if check == nil {
		return
	}
	c.Args = func(c *cobra.Command, args []string) error {
		err := check(c, args)
		var u *usageError
		if err == nil || errors.As(err, &u) {
			return err
		}
		return newUsageError(c, "%v", err)
	}
}

// exclusive refuses a command line that sets more than one of the flags
// names (a usage error, exit 2), before anything is read or dialled.
func exclusive(c *cobra.Command, names ...string) error {
	var set []string
	for _, n := range names {
		if f := c.Flags().Lookup(n); f != nil && f.Changed {
			set = append(set, "--"+n)
		}
	}
	if len(set) < 2 {
		return nil
	}
	return newUsageError(c, "%s cannot be used together; give one", strings.Join(set, " and "))
}

// inventoryPath is -i, else $K3SUP_PI_INVENTORY, else ./inventory.yml.
func (g *globalOptions) inventoryPath() string {
	if g.Inventory != "" {
		return g.Inventory
	}
	if p := os.Getenv("K3SUP_PI_INVENTORY"); p != "" {
		return p
	}
	return "inventory.yml"
}
