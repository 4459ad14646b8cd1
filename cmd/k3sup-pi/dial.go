package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
	"github.com/k3sup-pi/k3sup-pi/internal/ui"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// loadInventory reads the inventory and applies the K3SUP_PI_* environment
// and the override flags of fs (nil for a command without them).
func loadInventory(ctx context.Context, g *globalOptions, fs *pflag.FlagSet) (*inventory.Inventory, error) {
	inv, err := inventory.LoadContext(ctx, g.inventoryPath())
	if err != nil {
		var bad *inventory.Error
		if errors.As(err, &bad) || ctx.Err() != nil {
			return nil, err
		}
		return nil, &usageError{msg: err.Error()}
	}
	if err := inventory.ApplyOverrides(inv, overrides(fs, os.LookupEnv)); err != nil {
		return nil, err
	}
	return inv, nil
}

// dialHost connects to one host; tests replace it to prove that bad input
// stops a command before any host is dialled.
var dialHost = remote.Dial

// newDialer returns a Dialer that connects to inventory hosts with the
// inventory's SSH settings; per-host values win over the ssh: defaults.
func newDialer(inv *inventory.Inventory, g *globalOptions, p *ui.Printer) steps.Dialer {
	opts := remote.Options{
		KnownHostsFile:         inv.SSH.KnownHosts,
		AcceptNewHostKeys:      g.AcceptNewHostKeys,
		InsecureIgnoreHostKeys: g.InsecureHostKeys,
		SSHConfigFile:          inv.SSH.ConfigFile,
		DefaultUser:            inventory.DefaultSSHUser,
		Sudo:                   remote.NewSudoPassword(inv.SSH.SudoPasswordEnv, inv.SSH.SudoPasswordFile, ttyPrompt("sudo password: ")),
		Passphrase:             ttyPassphrase(),
		Warn:                   func(msg string) { p.Warnf("%s", msg) },
	}
	return func(ctx context.Context, h inventory.Host) (steps.Conn, error) {
		c, err := dialHost(ctx, target(inv.SSH, h), opts)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// target merges the inventory's SSH defaults with a host's overrides.
func target(d inventory.SSH, h inventory.Host) remote.Target {
	t := remote.Target{Alias: h.Address, Port: d.Port, User: d.User, ProxyJump: d.ProxyJump}
	if h.Port != 0 {
		t.Port = h.Port
	}
	if h.User != "" {
		t.User = h.User
	}
	if h.ProxyJump != "" {
		t.ProxyJump = h.ProxyJump
	}
	switch {
	case h.Key != "":
		t.KeyFiles = []string{h.Key}
	case d.Key != "":
		t.KeyFiles = []string{d.Key}
	}
	return t
}

// ttyPrompt asks on the controlling terminal; nil when there is none, so that
// a run without a terminal fails clearly instead of hanging.
func ttyPrompt(prompt string) func() ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	_ = tty.Close()
	return func() ([]byte, error) {
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("open terminal: %w", err)
		}
		defer tty.Close()
		fmt.Fprint(tty, prompt)
		b, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return nil, fmt.Errorf("read from terminal: %w", err)
		}
		return b, nil
	}
}

// ttyPassphrase asks for an encrypted key's passphrase on the terminal.
func ttyPassphrase() func(string) ([]byte, error) {
	if ttyPrompt("") == nil {
		return nil
	}
	return func(keyFile string) ([]byte, error) {
		return ttyPrompt(fmt.Sprintf("passphrase for %s: ", keyFile))()
	}
}
