package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/steps"
	"github.com/spf13/cobra"
)

func TestResetFlagsReachOptions(t *testing.T) {
	var got *resetOptions
	g := &globalOptions{}
	cmd := newResetCmd(&factory{}, g, func(_ context.Context, o *resetOptions, _ *cobra.Command) error {
		got = o
		return nil
	})
	cmd.SetArgs([]string{"--host", "pi-1", "--host", "pi-2", "--restore-cmdline", "-y", "--dry-run"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Hosts, ",") != "pi-1,pi-2" || !got.RestoreCmdline || !got.Yes || !got.DryRun {
		t.Errorf("options = %+v", got)
	}
}

func TestResetWithoutTerminalNeedsYes(t *testing.T) {
	_, errOut, code := runCLI(t, "reset", "-i", "/nonexistent/inventory.yml")
	if code != exitBadInput || !strings.Contains(errOut, "--yes") {
		t.Errorf("exit %d, want %d naming --yes:\n%s", code, exitBadInput, errOut)
	}
}

func TestAskReset(t *testing.T) {
	tests := []struct {
		answer string
		ok     bool
	}{
		{"y\n", true},
		{"YES\n", true},
		{" yes ", true},
		{"\n", false},
		{"n\n", false},
		{"", false},
		{"yep\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.answer, func(t *testing.T) {
			var w bytes.Buffer
			plan := &steps.ResetResult{Hosts: []steps.ResetHost{
				{Host: "pi-1", Actions: []string{"run k3s-uninstall.sh"}, Cmdline: &steps.CmdlineRestore{
					Path: "/boot/firmware/cmdline.txt", Before: "root=PARTUUID=new rootwait cgroup_memory=1\n", After: "root=PARTUUID=new rootwait\n"}},
				{Host: "pi-2", Actions: []string{"run k3s-agent-uninstall.sh"}},
				{Host: "pi-3"},
			}}
			err := askReset(strings.NewReader(tt.answer), &w, plan)
			if (err == nil) != tt.ok {
				t.Errorf("askReset(%q) = %v, want ok=%v", tt.answer, err, tt.ok)
			}
			want := "pi-1: /boot/firmware/cmdline.txt:\n  before: root=PARTUUID=new rootwait cgroup_memory=1\n  after:  root=PARTUUID=new rootwait\n" +
				"Reset 2 hosts (pi-1, pi-2)? [y/N] "
			if w.String() != want {
				t.Errorf("prompt = %q, want %q", w.String(), want)
			}
		})
	}
}

func TestDescribeReset(t *testing.T) {
	tests := []struct {
		name   string
		h      steps.ResetHost
		dryRun bool
		want   string
	}{
		{"clean", steps.ResetHost{}, false, "already clean"},
		{"clean, dry run", steps.ResetHost{}, true, "already clean"},
		{"done", steps.ResetHost{Actions: []string{"ran k3s-uninstall.sh", "rebooted"}}, false, "ran k3s-uninstall.sh; rebooted"},
		{"planned", steps.ResetHost{Actions: []string{"run k3s-uninstall.sh"}, Pending: true}, true, "run k3s-uninstall.sh"},
		{"not reached", steps.ResetHost{Actions: []string{"run k3s-uninstall.sh"}, Pending: true}, false, "not reached; planned: run k3s-uninstall.sh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeReset(tt.h, tt.dryRun); got != tt.want {
				t.Errorf("describeReset = %q, want %q", got, tt.want)
			}
		})
	}
}
