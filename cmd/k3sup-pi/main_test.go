package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
	"github.com/spf13/cobra"
)

// runCLI runs one command line with the real dialer (SSH) and fake streams,
// no terminal.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	io := newTestIO("", false)
	code := run(context.Background(), args, &factory{IO: io.ioStreams, Dial: newDialer})
	return io.out.String(), io.err.String(), code
}

func TestBadInventoryReportsEveryMistake(t *testing.T) {
	inv := `cluster:
  name: pis
  batch_size: 0
  tokn: abc
hosts:
  - address: 10.0.0.300
  - address: 10.0.0.2
    role: master
  - address: 10.0.0.3
    taints:
      - "gpu=true:Sometimes"
`
	path := filepath.Join(t.TempDir(), "inventory.yml")
	if err := os.WriteFile(path, []byte(inv), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "up", "-i", path)
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d\n%s", code, exitBadInput, errOut)
	}
	if out != "" {
		t.Errorf("stdout must stay empty on error, got %q", out)
	}
	for _, want := range []string{"inventory.yml:3:", "inventory.yml:4:", "inventory.yml:6:", "inventory.yml:8:", "inventory.yml:11:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("error output lacks %q:\n%s", want, errOut)
		}
	}
}

func TestExitCodes(t *testing.T) {
	inv := filepath.Join(t.TempDir(), "inventory.yml")
	if err := os.WriteFile(inv, []byte("hosts:\n  - {address: 10.0.0.1, hostname: pi-1}\n  - {address: 10.0.0.2, hostname: pi-2}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const hint = "for usage."
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stderr
	}{
		{"unknown flag", []string{"up", "--no-such-flag"}, exitBadInput, []string{"unknown flag: --no-such-flag", "Run 'k3sup-pi up --help' " + hint}},
		{"missing inventory", []string{"up", "-i", "/nonexistent/inventory.yml"}, exitBadInput, nil},
		{"add-node needs a host", []string{"add-node"}, exitBadInput, nil},
		{"help", []string{"--help"}, exitOK, nil},
		{"no command", nil, exitOK, nil},
		{"unknown command", []string{"nosuch"}, exitBadInput, []string{`unknown command "nosuch" for "k3sup-pi"`, "Run 'k3sup-pi --help' " + hint}},
		{"misspelt command", []string{"upp"}, exitBadInput, []string{`did you mean "up"?`}},
		{"extra argument to up", []string{"up", "-i", inv, "pi-1"}, exitBadInput, []string{`unexpected argument "pi-1": k3sup-pi up takes flags only`, "Run 'k3sup-pi up --help' " + hint}},
		{"extra argument to reset", []string{"reset", "--yes", "-i", inv, "everything"}, exitBadInput, []string{`unexpected argument "everything"`, "Run 'k3sup-pi reset --help' " + hint}},
		{"extra argument to kubeconfig", []string{"kubeconfig", "x"}, exitBadInput, []string{"Run 'k3sup-pi kubeconfig --help' " + hint}},
		{"extra argument to doctor", []string{"doctor", "x"}, exitBadInput, nil},
		{"extra argument to add-node", []string{"add-node", "--host", "pi-1", "x"}, exitBadInput, nil},
		{"extra argument to completion", []string{"completion", "bash", "x"}, exitBadInput, nil},
		{"reset unknown host", []string{"reset", "--yes", "-i", inv, "--host", "nosuch"}, exitBadInput,
			[]string{`--host: no host "nosuch" in`, "hosts: pi-1, pi-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestUpFlagsReachOptions(t *testing.T) {
	var got *upOptions
	g := &globalOptions{}
	cmd := newUpCmd(&factory{}, g, func(_ context.Context, o *upOptions, _ *cobra.Command) error {
		got = o
		return nil
	})
	cmd.PersistentFlags().StringVarP(&g.Inventory, "inventory", "i", "", "")
	cmd.SetArgs([]string{"--dry-run", "--allow-low-memory", "-i", "x.yml"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.DryRun || !got.AllowLowMemory || got.PreflightOnly || got.inventoryPath() != "x.yml" {
		t.Errorf("options = %+v", got)
	}
}

// TestInventoryMustBeARegularFile: a FIFO would hang the read and /dev/zero
// would eat memory; both are refused at once as bad input.
func TestInventoryMustBeARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yml")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 5<<20); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path, want string }{
		{"named pipe", fifo, "fifo.yml is a named pipe (FIFO), not a regular file"},
		{"endless device", "/dev/zero", "/dev/zero is a character device, not a regular file"},
		{"directory", dir, "is a directory, not a regular file"},
		{"too large", big, "big.yml is larger than 4 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var errOut string
			var code int
			go func() {
				defer close(done)
				_, errOut, code = runCLI(t, "up", "--dry-run", "-i", tt.path)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("k3sup-pi up -i %s did not return", tt.path)
			}
			if code != exitBadInput || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, exitBadInput, tt.want, errOut)
			}
		})
	}
}

// TestSecretsNotPrinted: secret values in a bad inventory never reach the
// terminal; the message names the key and line instead.
func TestSecretsNotPrinted(t *testing.T) {
	tests := []struct{ name, inv, secret, want string }{
		{"password in sudo_password_env", "ssh:\n  sudo_password_env: \"Hunter2 Pw\"\n", "Hunter2",
			"inventory.yml:2:22: ssh.sudo_password_env: is not an environment variable name (value withheld"},
		{"token with a space", "cluster:\n  token: \"K10sec ret \"\n", "sec ret", "inventory.yml:2:10: cluster.token: starts or ends with white space (value withheld)"},
		{"blank token", "cluster:\n  token: \"  \"\n", "\x00", "inventory.yml:2:10: cluster.token: is blank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "inventory.yml")
			if err := os.WriteFile(path, []byte(tt.inv+"hosts:\n  - address: 10.0.0.1\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, errOut, code := runCLI(t, "up", "--dry-run", "-i", path)
			if code != exitBadInput || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, tt.secret) {
				t.Errorf("exit %d, want %d with %q and without the secret:\n%s", code, exitBadInput, tt.want, errOut)
			}
		})
	}
}

// TestNamedFilesAndSettingsCheckedBeforeAnyHost: files and k3s settings the
// inventory names are refused at load (exit 2, file:line), before any host
// is dialled; an override flag is named as the origin.
func TestNamedFilesAndSettingsCheckedBeforeAnyHost(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "inventory.yml")
	inv := "cluster:\n  kubeconfig: inventory.yml/kc\n  agent_config:\n    disable: [traefik]\n    node-ip: 10.0.0.300\n" +
		"ssh:\n  sudo_password_file: nopw\nhosts:\n  - address: 192.0.2.1\n    taints: [\"a:NoSchedule\", \"a=b:NoSchedule\"]\n"
	if err := os.WriteFile(path, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCLI(t, "up", "-i", path, "--key", filepath.Join(dir, "no-key"))
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d:\n%s", code, exitBadInput, errOut)
	}
	for _, want := range []string{
		"inventory.yml:2:15: cluster.kubeconfig: " + path + " is not a directory",
		"inventory.yml:4:5: cluster.agent_config.disable:",
		"inventory.yml:5:14: cluster.agent_config.node-ip:",
		"inventory.yml:7:23: ssh.sudo_password_file:",
		"inventory.yml:10:30: hosts[0].taints[1]:",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "192.0.2.1") {
		t.Errorf("a host was contacted:\n%s", errOut)
	}
	_, _, code = runCLI(t, "up", "-i", path+".none", "--key", filepath.Join(dir, "no-key"))
	if code != exitBadInput {
		t.Errorf("exit %d, want %d", code, exitBadInput)
	}
	good := "hosts:\n  - address: 192.0.2.1\n"
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = runCLI(t, "up", "-i", path, "--key", filepath.Join(dir, "no-key"))
	if code != exitBadInput || !strings.Contains(errOut, "no-key does not exist; give the private key file") || !strings.Contains(errOut, "(set by --key or $K3SUP_PI_KEY)") {
		t.Errorf("exit %d, want %d naming the --key override:\n%s", code, exitBadInput, errOut)
	}
}

// TestExitCodeMapsWrappedErrors: the typed errors keep their exit code when
// a layer wraps them; anything else is a failure (1).
func TestExitCodeMapsWrappedErrors(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("up: %w", err) }
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"inventory", wrap(&inventory.Error{File: "inv.yml"}), exitBadInput},
		{"usage", wrap(&usageError{msg: "bad flag"}), exitBadInput},
		{"host selection", wrap(&inventory.SelectError{File: "inv.yml", Name: "pi-9"}), exitBadInput},
		{"refused", wrap(&steps.RefusedError{Findings: []string{"pi-1: too little memory"}}), exitRefused},
		{"refused among others", errors.Join(errors.New("pi-2: timeout"), &steps.RefusedError{}), exitRefused},
		{"not confirmed", errNotConfirmed, exitFailed},
		{"a host failed", wrap(errors.New("pi-1: exit 1")), exitFailed},
		{"interrupted", wrap(context.Canceled), exitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.err); got != tt.code {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.code)
			}
		})
	}
}
