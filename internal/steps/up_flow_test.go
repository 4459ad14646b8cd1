package steps

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
)

var (
	servers = []string{"s1", "s2", "s3"}
	agents  = []string{"a1", "a2", "a3"}
	all     = append(append([]string{}, servers...), agents...)
)

// TestUpFreshFleet: hostname, then cmdline.txt, then the reboot on every host;
// the first server before any other node; servers one at a time; agents in
// batches of two, every node of a batch Ready before the next starts.
func TestUpFreshFleet(t *testing.T) {
	f := newTestFleet(t, "  k3s_version: v1.31.4+k3s1\n", all...)
	f.up(Options{})
	got := f.lines()
	for _, n := range all {
		before(t, got, []string{n + ": set hostname " + n}, []string{n + ": write /boot/firmware/cmdline.txt"})
		before(t, got, []string{n + ": write /boot/firmware/cmdline.txt"}, []string{n + ": reboot"})
	}
	before(t, got, each(all, "reboot"), []string{"s1: install k3s server"})
	before(t, got, []string{"s1: install k3s server"}, append(each(servers[1:], "install k3s server"), each(agents, "install k3s agent")...))
	before(t, got, []string{"s2: install k3s server"}, []string{"s3: install k3s server"})
	before(t, got, []string{"s3: install k3s server"}, each(agents, "install k3s agent"))
	before(t, got, each(agents[:2], "install k3s agent"), []string{"a3: install k3s agent"})
	for _, n := range all {
		if f.Host(f.addr[n]).Fact("k3s_version") != "v1.31.4+k3s1" {
			t.Errorf("%s: k3s not installed", n)
		}
	}
}

// TestUpRerunChangesNothing: a second up on the fleet the first one built
// sends no changing command at all; the same holds for a dry run.
func TestUpRerunChangesNothing(t *testing.T) {
	for _, cfg := range []string{"  k3s_version: v1.31.4+k3s1\n", "  taint_servers: true\n  label_workers: true\n"} {
		f := newTestFleet(t, cfg, all...)
		f.up(Options{})
		f.Reset()
		res := f.up(Options{})
		if c := f.changing(); len(c) > 0 {
			t.Errorf("%q: the second up changed:\n%s", cfg, strings.Join(c, "\n"))
		}
		for _, n := range res.Nodes {
			if len(n.Changes) > 0 {
				t.Errorf("%s reports changes %q", n.Host.Name(), n.Changes)
			}
		}
		for _, p := range res.Plans {
			if p.K3s.Changed() || p.Prep != (PrepPlan{}) {
				t.Errorf("%s planned %+v %+v", p.Host, p.Prep, p.K3s)
			}
		}
	}
}

// TestUpUpgrade: a new k3s_version with drain_on_upgrade drains, upgrades and
// uncordons each server in turn, the next only after the previous one, then
// the agents.
func TestUpUpgrade(t *testing.T) {
	f := newTestFleet(t, "  k3s_version: v1.31.4+k3s1\n", all...)
	f.up(Options{})
	f.config = "  k3s_version: v1.32.1+k3s1\n  drain_on_upgrade: true\n"
	f.Reset()
	f.up(Options{})
	got := upgradeSteps(f.changing())
	var want []string
	for _, s := range servers {
		want = append(want, "kubectl drain "+s, s+": install k3s server", "kubectl uncordon "+s)
	}
	if !slices.Equal(got[:min(len(want), len(got))], want) {
		t.Errorf("servers:\n got %q\nwant %q", got, want)
	}
	rest := got[min(len(want), len(got)):]
	before(t, rest, []string{"kubectl drain a1", "kubectl drain a2"}, each(agents[:2], "install k3s agent"))
	before(t, rest, each(agents[:2], "install k3s agent"), []string{"kubectl uncordon a1", "kubectl uncordon a2"})
	before(t, rest, []string{"kubectl uncordon a1", "kubectl uncordon a2"}, []string{"kubectl drain a3"})
	before(t, rest, []string{"kubectl drain a3"}, []string{"a3: install k3s agent"})
	before(t, rest, []string{"a3: install k3s agent"}, []string{"kubectl uncordon a3"})
	for _, n := range all {
		if v := f.Host(f.addr[n]).Fact("k3s_version"); v != "v1.32.1+k3s1" {
			t.Errorf("%s runs %s after the upgrade", n, v)
		}
	}
}

// upgradeSteps keeps the drains, installs and uncordons of changing events,
// kubectl calls as "kubectl VERB NODE" whichever server ran them.
func upgradeSteps(changing []string) []string {
	var out []string
	for _, l := range changing {
		_, what, _ := strings.Cut(l, ": ")
		words := strings.Fields(what)
		switch {
		case strings.Contains(what, "install k3s"):
			out = append(out, l)
		case len(words) > 2 && words[0] == "kubectl" && (words[1] == "drain" || words[1] == "uncordon"):
			out = append(out, "kubectl "+words[1]+" "+words[len(words)-1])
		}
	}
	return out
}

// bundle writes an offline bundle whose k3s binary is version v.
func bundle(t *testing.T, dir, v string) {
	t.Helper()
	for name, body := range map[string]string{"k3s": "#!/bin/sh\necho k3s version " + v + "\n", "install.sh": "#!/bin/sh\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUpOffline: a new bundle is uploaded and installed on every node, and a
// k3s binary replaced under a running k3s (an interrupted run) is restarted,
// the one change on that host.
func TestUpOffline(t *testing.T) {
	tests := []struct {
		name  string
		apply func(f *testFleet, dir string)
		want  func(n string) []string // the changing events of host n, in order
		note  string                  // what a1's summary says it did
	}{
		{"new bundle", func(f *testFleet, dir string) { bundle(t, dir, "v1.32.1+k3s1") }, func(n string) []string {
			role := map[bool]string{true: "server", false: "agent"}[n[0] == 's']
			return []string{n + ": stage dir", n + ": upload /usr/local/bin/k3s", n + ": install k3s " + role} // install.sh is the same
		}, "installed k3s agent v1.32.1+k3s1 (k3s binary differs from the bundle)"},
		{"binary replaced without a restart", func(f *testFleet, dir string) {
			bundle(t, dir, "v1.32.1+k3s1")
			for _, n := range all { // what an interrupted run left: the new binary on disk, the old one running
				h := f.Host(f.addr[n])
				if _, err := h.Upload(context.Background(), filepath.Join(dir, "k3s"), "/usr/local/bin/k3s", 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}, func(n string) []string {
			unit := map[bool]string{true: "k3s", false: "k3s-agent"}[n[0] == 's']
			return []string{n + ": restart " + unit}
		}, "restarted k3s-agent v1.32.1+k3s1 (the running k3s is a binary replaced since it started)"},
		{"binary replaced where the host cannot tell: the node version does", func(f *testFleet, dir string) {
			bundle(t, dir, "v1.32.1+k3s1")
			for _, n := range all {
				h := f.Host(f.addr[n])
				if _, err := h.Upload(context.Background(), filepath.Join(dir, "k3s"), "/usr/local/bin/k3s", 0o755); err != nil {
					t.Fatal(err)
				}
				h.Set("k3s_stale", "0") // as on OpenRC, which cannot tell
			}
		}, func(n string) []string {
			unit := map[bool]string{true: "k3s", false: "k3s-agent"}[n[0] == 's']
			return []string{n + ": restart " + unit}
		}, "restarted k3s-agent v1.32.1+k3s1 (the node runs k3s v1.31.4+k3s1, v1.32.1+k3s1 is installed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bundle(t, dir, "v1.31.4+k3s1")
			f := newTestFleet(t, "  install: {source: offline, bundle_dir: '"+dir+"'}\n", all...)
			f.up(Options{})
			tt.apply(f, dir)
			f.Reset()
			res := f.up(Options{})
			for _, n := range res.Nodes {
				if n.Host.Name() == "a1" && !slices.Contains(n.Changes, tt.note) {
					t.Errorf("a1 reports %q, want %q", n.Changes, tt.note)
				}
			}
			got := f.changing()
			for _, n := range all {
				var mine []string
				for _, l := range got {
					if strings.HasPrefix(l, n+": ") && !strings.Contains(l, "kubectl") {
						mine = append(mine, l)
					}
				}
				if want := tt.want(n); !slices.Equal(mine, want) {
					t.Errorf("%s changed\n %q\nwant\n %q", n, mine, want)
				}
				if v := f.Host(f.addr[n]).Fact("k3s_version"); v != "v1.32.1+k3s1" {
					t.Errorf("%s runs %s", n, v)
				}
			}
		})
	}
}

// TestUpAddNode: add-node changes the new host alone; the cluster's servers
// are only read, but for the new node's labels.
func TestUpAddNode(t *testing.T) {
	f := newTestFleet(t, "  label_workers: true\n", "s1", "a1")
	f.up(Options{})
	f.add("a2")
	f.Reset()
	if err := f.upErr(Options{}, "a2"); err != nil {
		t.Fatal(err)
	}
	got := f.changing()
	if len(got) == 0 {
		t.Fatal("add-node changed nothing")
	}
	for _, l := range got {
		if !strings.HasPrefix(l, "a2: ") && !(strings.HasPrefix(l, "s1: kubectl") && strings.Contains(l, " a2 ")) {
			t.Errorf("add-node touched another host: %s", l)
		}
	}
	if i := index(got, "a2: install k3s agent"); i < 0 {
		t.Errorf("a2 not installed:\n%s", strings.Join(got, "\n"))
	}
}

// TestUpLogsOnlyPhasesWithWork: a fresh fleet logs every phase of up; a
// converged one only the reading ones, every phase with nothing selected
// skipped.
func TestUpLogsOnlyPhasesWithWork(t *testing.T) {
	f := newTestFleet(t, "  label_workers: true\n", "s1", "s2", "s3", "a1")
	path := filepath.Join(f.dir, "kubeconfig")
	f.config += "  kubeconfig: " + path + "\n"
	reading := []string{"connect and gather facts", "preflight"}
	runs := []struct {
		config string // added to the cluster keys before the run
		want   []string
	}{
		{"", append(reading, "prepare hosts", "stage k3s", "first server", "further servers", "agents", "labels and taints", "kubeconfig")},
		{"", reading},
		{"  taint_servers: true\n", append(reading, "labels and taints")},
		{"  agent_config: {node-ip: 10.0.0.9}\n", append(reading, "first server", "agents")}, // the agents join with its token
	}
	for i, run := range runs {
		f.config += run.config
		want := run.want
		log := &fleettest.Log{}
		opt := Options{Inventory: f.inventory(), Log: log, WriteKubeconfig: true,
			Dial: func(ctx context.Context, h inventory.Host) (fleet.Conn, error) { return f.Dial(ctx, h.Address) }}
		if _, err := Up(context.Background(), opt); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(log.Phases, want) {
			t.Errorf("run %d logged %q, want %q", i+1, log.Phases, want)
		}
	}
}
