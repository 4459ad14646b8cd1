package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"
)

// streams are the command's standard streams: data to Out, progress to Err.
type streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	Inventory         string
	AcceptNewHostKeys bool
	InsecureHostKeys  bool
}

func newRootCmd(s streams) *cobra.Command {
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
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetIn(s.In)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: err.Error()} })
	pf := root.PersistentFlags()
	pf.StringVarP(&g.Inventory, "inventory", "i", "", "inventory file (default $K3SUP_PI_INVENTORY or ./inventory.yml)")
	pf.BoolVar(&g.AcceptNewHostKeys, "accept-new-host-keys", false,
		"record the keys of hosts not yet in known_hosts (like OpenSSH's StrictHostKeyChecking=accept-new); changed keys are still refused")
	pf.BoolVar(&g.InsecureHostKeys, "insecure-ignore-host-keys", false, "DANGEROUS: do not verify host keys at all")
	root.AddCommand(newUpCmd(g, s, nil), newAddNodeCmd(g, s, nil), newKubeconfigCmd(g, s, nil), newResetCmd(g, s, nil), newDoctorCmd(g, s, nil))
	return root
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
