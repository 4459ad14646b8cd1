package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
	"github.com/k3sup-pi/k3sup-pi/internal/ui"
	"github.com/spf13/cobra"
)

func TestDoctorFlagsReachOptions(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		output string
		low    bool
		err    bool
	}{
		{"table", []string{"-i", "x.yml"}, "", false, false},
		{"json", []string{"-o", "json", "--allow-low-memory"}, "json", true, false},
		{"yaml is refused", []string{"-o", "yaml"}, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *doctorOptions
			g := &globalOptions{}
			cmd := newDoctorCmd(&factory{}, g, func(_ context.Context, o *doctorOptions, _ *cobra.Command) error {
				got = o
				return nil
			})
			cmd.PersistentFlags().StringVarP(&g.Inventory, "inventory", "i", "", "")
			cmd.SetArgs(tt.args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			if tt.err {
				if err == nil || exitCode(err) != exitBadInput {
					t.Fatalf("err %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Output != tt.output || got.AllowLowMemory != tt.low {
				t.Errorf("options = %+v", got)
			}
		})
	}
}

func TestDoctorMissingInventoryExits2(t *testing.T) {
	if _, errOut, code := runCLI(t, "doctor", "-i", "/nonexistent/inventory.yml"); code != exitBadInput {
		t.Errorf("exit %d, want %d\n%s", code, exitBadInput, errOut)
	}
}

func TestFormatIOPS(t *testing.T) {
	tests := []struct {
		s    steps.Storage
		want string
	}{
		{steps.Storage{IOPS: 31.6}, "32"},
		{steps.Storage{IOPS: 1234.4}, "1234"},
		{steps.Storage{}, "-"},
		{steps.Storage{IOPS: 10, Err: "dd failed"}, "-"},
	}
	for _, tt := range tests {
		if got := formatIOPS(tt.s); got != tt.want {
			t.Errorf("formatIOPS(%+v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func sampleReport() *steps.DoctorReport {
	return &steps.DoctorReport{
		Findings: []preflight.Finding{{Host: "pi-a1", Severity: preflight.Error, Check: "network",
			Msg: "pi-a1 cannot reach pi-srv:6443 (connection timed out)", Fix: "open 6443/tcp from the agents to the servers", Hosts: []string{"pi-a1", "pi-srv"}}},
		Storage: []steps.Storage{
			{Host: "pi-srv", Role: "server", DataDir: "/var/lib", Device: "/dev/mmcblk0p2", Writes: 90, Seconds: 3, IOPS: 30, Etcd: true, Verdict: "too slow", Warn: true},
			{Host: "pi-a1", Role: "agent", Err: "dd failed", Verdict: "unknown: dd failed"},
		},
	}
}

func TestPrintDoctor(t *testing.T) {
	var b bytes.Buffer
	printDoctor(ui.NewFor(&b, false), sampleReport())
	out := b.String()
	for _, want := range []string{"HOST", "FSYNC IOPS", "VERDICT", "pi-srv", "/dev/mmcblk0p2", "30", "too slow", "unknown: dd failed", "1 errors, 0 warnings"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteDoctorJSON(t *testing.T) {
	var b bytes.Buffer
	if err := writeDoctorJSON(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var got doctorJSON
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("decode %s: %v", b.String(), err)
	}
	if len(got.Storage) != 2 || got.Storage[0].IOPS != 30 || !got.Storage[0].Warning || got.Storage[1].Error != "dd failed" {
		t.Errorf("storage = %+v", got.Storage)
	}
	if len(got.Findings) != 1 || got.Findings[0].Severity != "error" || len(got.Findings[0].Hosts) != 2 {
		t.Errorf("findings = %+v", got.Findings)
	}
}
