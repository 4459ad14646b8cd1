package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// stubs writes executables into a new directory: name -> script body.
func stubs(t *testing.T, bodies map[string]string) string {
	t.Helper()
	bin := t.TempDir()
	for name, body := range bodies {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin + ":" + os.Getenv("PATH")
}

// TestScripts runs the steps' scripts under sh and dash against a
// temporary root, with stubs for the commands that would change this machine.
func TestScripts(t *testing.T) {
	tests := []struct {
		name  string
		cmd   func(root string) remote.Cmd
		stubs map[string]string
		setup map[string]string // files below root before
		want  map[string]string // files below root after
		out   string
		fails bool
	}{
		{"hostname without hostnamectl: /etc/hostname and the 127.0.1.1 line", func(root string) remote.Cmd { return remote.Script(hostnameSh, "pi-7", root) },
			map[string]string{"hostnamectl": "exit 1", "hostname": "exit 0"},
			map[string]string{"etc/hosts": "127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n"},
			map[string]string{"etc/hosts": "127.0.0.1\tlocalhost\n127.0.1.1\tpi-7\n", "etc/hostname": "pi-7\n"}, "", false},
		{"hostname: a 127.0.1.1 line is added", func(root string) remote.Cmd { return remote.Script(hostnameSh, "pi-7", root) },
			map[string]string{"hostnamectl": "exit 0"},
			map[string]string{"etc/hosts": "127.0.0.1\tlocalhost\n"},
			map[string]string{"etc/hosts": "127.0.0.1\tlocalhost\n127.0.1.1\tpi-7\n"}, "", false},
		{"a name is data, never shell", func(root string) remote.Cmd { return remote.Script(hostnameSh, "$(touch x);pi", root) },
			map[string]string{"hostnamectl": "exit 1", "hostname": "exit 0"},
			map[string]string{"etc/hosts": "127.0.1.1\told\n"},
			map[string]string{"etc/hostname": "$(touch x);pi\n"}, "", false},
		{"download replaces the file once complete", func(root string) remote.Cmd {
			return remote.Script(downloadSh, "https://get.k3s.io", root+"/install.sh")
		}, map[string]string{"curl": `for a; do :; done; while [ $# -gt 0 ]; do [ "$1" = -o ] && echo installer >"$2"; shift; done`},
			map[string]string{"install.sh": "old"}, map[string]string{"install.sh": "installer\n"}, "", false},
		{"a failed download keeps the old file", func(root string) remote.Cmd {
			return remote.Script(downloadSh, "https://get.k3s.io", root+"/install.sh")
		}, map[string]string{"curl": "exit 22"},
			map[string]string{"install.sh": "old"}, map[string]string{"install.sh": "old"}, "", true},
		{"catif prints a file that exists", func(root string) remote.Cmd { return remote.Script(catIfSh, root+"/t") }, nil,
			map[string]string{"t": "K10abc"}, nil, "K10abc", false},
		{"catif prints nothing for a missing one", func(root string) remote.Cmd { return remote.Script(catIfSh, root+"/none") }, nil, nil, nil, "", false},
		{"bounded runs the command with its arguments", func(root string) remote.Cmd {
			return step{argv: []string{"sh", "-c", `printf '%s|' "$@"`, "sh", "a b", "$HOME"}, limit: 5}.bounded()
		}, nil, nil, nil, "a b|$HOME|", false},
		{"journal prints the lines and the state", func(root string) remote.Cmd { return remote.Script(journalSh, "k3s", "6") },
			map[string]string{"journalctl": `echo "$*"`, "systemctl": "echo activating; exit 3"}, nil, nil,
			"-u k3s -n 6 --no-pager -o cat\nk3sup-pi-state=activating", false},
	}
	for _, shell := range []string{"sh", "dash"} {
		for _, tt := range tests {
			t.Run(shell+": "+tt.name, func(t *testing.T) {
				root := t.TempDir()
				for p, c := range tt.setup {
					if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				c := &fleettest.Local{Shell: shell, PATH: stubs(t, tt.stubs), Dir: root}
				res, err := c.Run(context.Background(), tt.cmd(root))
				if (err != nil) != tt.fails || strings.TrimSpace(string(res.Stdout)) != tt.out {
					t.Errorf("out %q err %v, want %q (fails %v)", res.Stdout, err, tt.out, tt.fails)
				}
				for p, want := range tt.want {
					if got := fleettest.ReadOr(filepath.Join(root, p)); got != want {
						t.Errorf("%s = %q, want %q", p, got, want)
					}
				}
				if _, err := os.Stat(filepath.Join(root, "x")); err == nil {
					t.Error("an argument ran as shell")
				}
			})
		}
	}
}
