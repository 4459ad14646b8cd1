// Command fleet builds the Pi-like host image and starts or removes test
// fleets (see package e2e/fleet).
//
//	fleet image                               build or reuse the host image
//	fleet up -name NAME -n N [-mirror] [-bastion]   start a fleet; prints the inventory path last
//	fleet down -name NAME | -all              remove one fleet or every fleet
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

const usage = "usage: fleet image | up -name NAME -n N [-mirror] [-bastion] | down (-name NAME | -all)"

// run executes one fleet command: data to stdout, progress to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("fleet "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "demo", "fleet name")
	n := fs.Int("n", 4, "number of Pi-like hosts")
	mirror := fs.Bool("mirror", false, "add the HTTPS mirror host")
	bastion := fs.Bool("bastion", false, "add a bastion; hosts accept SSH only from it")
	all := fs.Bool("all", false, "down: remove every fleet")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "image":
		tag, err := fleet.BuildImage(ctx, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tag)
	case "up":
		f, err := fleet.Start(ctx, fleet.Options{Name: *name, N: *n, Mirror: *mirror, Bastion: *bastion, Log: stderr})
		if err != nil {
			return err
		}
		describe(stderr, f)
		fmt.Fprintln(stdout, f.InventoryPath)
	case "down":
		if *all {
			return fleet.DownAll(ctx)
		}
		return fleet.Stop(ctx, *name)
	default:
		return errors.New(usage)
	}
	return nil
}

// describe prints how to reach the fleet.
func describe(w io.Writer, f *fleet.Fleet) {
	for _, h := range f.All() {
		fmt.Fprintf(w, "%-8s %-15s %s\n", h.Name, h.Addr, h.Container)
	}
	fmt.Fprintf(w, "ssh -i %s -o UserKnownHostsFile=%s pi@%s\n", f.KeyPath, f.KnownHostsPath, f.Hosts[0].Addr)
	if f.Bastion != nil {
		fmt.Fprintf(w, "  (through the bastion: add -J pi@%s)\n", f.Bastion.Addr)
	}
}
