package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/k3sup-pi/k3sup-pi/internal/kubeconfig"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
	"github.com/spf13/cobra"
)

// kubeconfigOptions are the `kubeconfig` command's settings.
type kubeconfigOptions struct {
	*globalOptions
	IO            *ioStreams
	Dial          dialFunc
	Merge         bool
	Context       string
	SwitchContext bool
}

func newKubeconfigCmd(f *factory, g *globalOptions, runF func(context.Context, *kubeconfigOptions, *cobra.Command) error) *cobra.Command {
	o := &kubeconfigOptions{globalOptions: g, IO: f.IO, Dial: f.Dial}
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print the cluster's kubeconfig, or merge it into your own",
		Long: `kubeconfig reads k3s.yaml from the first server and prints a kubeconfig built
from its CA and client certificate and key alone, with the server address set to
the API endpoint and cluster, user and context named after the cluster. A
k3s.yaml holding anything else (an exec or auth-provider plugin, a proxy-url,
file paths, insecure-skip-tls-verify, more entries) is refused, naming the host
and the field. Nothing but the kubeconfig goes to stdout.

With --merge it goes into $KUBECONFIG (first file) or ~/.kube/config instead:
entries of the same name are replaced, everything else is kept, the old file is
backed up and the new one is written 0600.`,
		Example: "  k3sup-pi kubeconfig > ~/.kube/config\n  k3sup-pi kubeconfig --merge --context pis --switch-context",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.SwitchContext && !o.Merge {
				return &usageError{msg: "kubeconfig: --switch-context works with --merge (the printed kubeconfig's current-context is already its own)"}
			}
			if runF != nil {
				return runF(cmd.Context(), o, cmd)
			}
			return runKubeconfig(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.Merge, "merge", false, "merge into $KUBECONFIG or ~/.kube/config instead of printing")
	fs.StringVar(&o.Context, "context", "", "name for the cluster, user and context (default: the cluster name)")
	fs.BoolVar(&o.SwitchContext, "switch-context", false, "with --merge: make it the current context")
	return cmd
}

func runKubeconfig(ctx context.Context, o *kubeconfigOptions) error {
	inv, err := loadInventory(ctx, o.globalOptions, nil)
	if err != nil {
		return err
	}
	p := o.IO.printer()
	name := inv.Cluster.Name
	if o.Context != "" {
		name = o.Context
	}
	data, err := steps.FetchKubeconfig(ctx, inv, o.Dial(inv, o.globalOptions, p), name)
	if err != nil {
		return err
	}
	if !o.Merge {
		_, err := o.IO.Out.Write(data)
		return err
	}
	path, err := mergeTarget()
	if err != nil {
		return err
	}
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	merged, err := kubeconfig.Merge(old, data, o.SwitchContext)
	if err != nil {
		return fmt.Errorf("merge into %s: %w", path, err)
	}
	if bytes.Equal(old, merged) {
		p.Phase(fmt.Sprintf("context %q in %s is already current; nothing written", name, path))
		return nil
	}
	backup, err := kubeconfig.WriteFile(path, merged)
	if err != nil {
		return err
	}
	p.Phase(fmt.Sprintf("merged context %q into %s", name, path))
	if backup != "" {
		p.Hostf("backup", "%s", backup)
	}
	return nil
}

// mergeTarget is the first file of $KUBECONFIG, else ~/.kube/config.
func mergeTarget() (string, error) {
	for _, p := range filepath.SplitList(os.Getenv("KUBECONFIG")) {
		if p != "" {
			return p, nil
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", &usageError{msg: "kubeconfig --merge: no $KUBECONFIG and no home directory: " + err.Error()}
	}
	return filepath.Join(home, ".kube", "config"), nil
}
