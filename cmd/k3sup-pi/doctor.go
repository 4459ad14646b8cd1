package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
	"github.com/k3sup-pi/k3sup-pi/internal/ui"
	"github.com/spf13/cobra"
)

// doctorOptions are the `doctor` command's settings.
type doctorOptions struct {
	*globalOptions
	IO             *ioStreams
	Dial           dialFunc
	Output         string // "" (a table on stderr) or "json" (on stdout)
	AllowLowMemory bool
}

func newDoctorCmd(f *factory, g *globalOptions, runF func(context.Context, *doctorOptions, *cobra.Command) error) *cobra.Command {
	o := &doctorOptions{globalOptions: g, IO: f.IO, Dial: f.Dial}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check every host (preflight, reachability) and measure its storage; change nothing",
		Long: `doctor runs the checks of ` + "`up --preflight-only`" + ` on every host (architecture,
memory, cmdline.txt, hostnames, sudo, disk, clock, 6443/tcp between the nodes)
and measures the sequential fsync write IOPS of each host's k3s data dir, the
figure embedded etcd depends on (50 needed, 500 advised). It changes nothing:
the measurement writes a temporary file and removes it.

Exit code 3 when a check fails, 0 otherwise.`,
		Example: "  k3sup-pi doctor -i inventory.yml\n  k3sup-pi doctor -o json | jq '.storage[].iops'",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Output != "" && o.Output != "json" {
				return &usageError{msg: fmt.Sprintf("--output %q: only json is supported", o.Output)}
			}
			if runF != nil {
				return runF(cmd.Context(), o, cmd)
			}
			return runDoctor(cmd.Context(), o, cmd)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.Output, "output", "o", "", "json: print the report on stdout as JSON")
	fs.BoolVar(&o.AllowLowMemory, "allow-low-memory", false, "only warn (not refuse) when a server has less than 2 GB")
	addOverrideFlags(fs)
	return cmd
}

func runDoctor(ctx context.Context, o *doctorOptions, cmd *cobra.Command) error {
	inv, err := loadInventory(ctx, o.globalOptions, cmd.Flags())
	if err != nil {
		return err
	}
	p := o.IO.printer()
	rep, err := steps.Doctor(ctx, steps.Options{
		Inventory: inv, Dial: o.Dial(inv, o.globalOptions, p), Log: p,
		PreflightOnly: true, AllowLowMemory: o.AllowLowMemory,
	})
	if rep == nil {
		return err
	}
	if o.Output == "json" {
		if jerr := writeDoctorJSON(o.IO.Out, rep); jerr != nil {
			return jerr
		}
	} else {
		printDoctor(p, rep)
	}
	return err
}

// printDoctor shows the storage table and a one-line preflight summary.
func printDoctor(p *ui.Printer, rep *steps.DoctorReport) {
	p.Table(doctorRows(rep.Storage))
	errs, warns := 0, 0
	for _, f := range rep.Findings {
		switch f.Severity {
		case preflight.Error:
			errs++
		case preflight.Warning:
			warns++
		}
	}
	if errs == 0 && warns == 0 {
		p.Phase("preflight: every check passed")
		return
	}
	p.Phase(fmt.Sprintf("preflight: %d errors, %d warnings", errs, warns))
}

// doctorRows is the table: one row per host.
func doctorRows(st []steps.Storage) [][]string {
	rows := [][]string{{"HOST", "ROLE", "DATA DIR", "DEVICE", "FSYNC IOPS", "VERDICT"}}
	for _, s := range st {
		rows = append(rows, []string{s.Host, s.Role, orDash(s.DataDir), orDash(s.Device), formatIOPS(s), s.Verdict})
	}
	return rows
}

// formatIOPS prints the figure rounded, "-" when there is none.
func formatIOPS(s steps.Storage) string {
	if s.Err != "" || s.IOPS <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", s.IOPS)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// doctorJSON is the -o json shape: stable lower-case keys.
type doctorJSON struct {
	Findings []findingJSON `json:"findings"`
	Storage  []storageJSON `json:"storage"`
}

type findingJSON struct {
	Host     string   `json:"host,omitempty"`
	Severity string   `json:"severity"`
	Check    string   `json:"check"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
	Hosts    []string `json:"hosts,omitempty"`
}

type storageJSON struct {
	Host    string  `json:"host"`
	Role    string  `json:"role"`
	DataDir string  `json:"data_dir"`
	Device  string  `json:"device"`
	Writes  int     `json:"writes"`
	Seconds float64 `json:"seconds"`
	IOPS    float64 `json:"iops"`
	Etcd    bool    `json:"embedded_etcd"`
	Verdict string  `json:"verdict"`
	Warning bool    `json:"warning"`
	Error   string  `json:"error,omitempty"`
}

// writeDoctorJSON writes the report as indented JSON.
func writeDoctorJSON(w io.Writer, rep *steps.DoctorReport) error {
	out := doctorJSON{Findings: []findingJSON{}, Storage: []storageJSON{}}
	for _, f := range rep.Findings {
		out.Findings = append(out.Findings, findingJSON{Host: f.Host, Severity: f.Severity.String(), Check: f.Check, Message: f.Msg, Fix: f.Fix, Hosts: f.Hosts})
	}
	for _, s := range rep.Storage {
		out.Storage = append(out.Storage, storageJSON{Host: s.Host, Role: s.Role, DataDir: s.DataDir, Device: s.Device, Writes: s.Writes,
			Seconds: s.Seconds, IOPS: s.IOPS, Etcd: s.Etcd, Verdict: s.Verdict, Warning: s.Warn, Error: s.Err})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}
