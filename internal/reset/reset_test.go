package reset

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/cmdline"
	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/kube"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

func probeOf(paths []string, dirs map[string][]string) resetProbe {
	p := resetProbe{present: map[string]bool{}, entries: map[string][]string{}}
	for _, s := range paths {
		p.present[s] = true
	}
	for d, es := range dirs {
		p.entries[d] = es
	}
	return p
}

func TestPlanReset(t *testing.T) {
	installedAgent := probeOf([]string{rsAgentUninstall, hostpath.K3sBinary, hostpath.K3sConfig, rsEtcRancherK3s, rsEtcRancherNode, rsK3sDataDir, hostpath.StageDir},
		map[string][]string{rsEtcRancher: {rsEtcRancherK3s, rsEtcRancherNode}, rsVarLibRancher: {rsK3sDataDir}})
	agent := facts.Facts{K3sRole: "agent", CmdlinePath: "/boot/firmware/cmdline.txt", CmdlineBak: true,
		Cmdline: "root=/dev/mmcblk0p2 rootwait cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory\n", CmdlineBackup: "root=/dev/mmcblk0p2 rootwait\n"}
	fromBackup := &CmdlineRestore{Path: agent.CmdlinePath, Before: agent.Cmdline, After: agent.CmdlineBackup, FromBackup: true}
	goes := clusterView{}
	listed := clusterView{stays: true, reachable: true, nodes: map[string]kube.Node{"pi-a1": {Name: "pi-a1"}},
		passwords: map[string]bool{"pi-a1.node-password.k3s": true}}
	unlisted := clusterView{stays: true, reachable: true, passwords: map[string]bool{"pi-a1.node-password.k3s": true}}
	down := clusterView{stays: true}
	tests := []struct {
		name    string
		f       facts.Facts
		p       resetProbe
		view    clusterView
		restore bool
		want    Plan
		wantErr string
	}{
		{"clean host", facts.Facts{CmdlinePath: "/boot/firmware/cmdline.txt"}, probeOf(nil, nil), goes, true, Plan{}, ""},
		{"backup kept without --restore-cmdline", facts.Facts{CmdlinePath: "/boot/firmware/cmdline.txt", CmdlineBak: true}, probeOf(nil, nil), goes, false, Plan{}, ""},
		{"installed agent, whole cluster goes", agent, installedAgent, goes, true, Plan{
			Uninstall:   []string{rsAgentUninstall},
			Remove:      []string{hostpath.K3sConfig, rsEtcRancherNode, hostpath.StageDir},
			RemoveEmpty: []string{rsEtcRancher, rsVarLibRancher},
			Cmdline:     fromBackup}, ""},
		{"installed agent, cluster stays", agent, installedAgent, listed, false, Plan{
			DrainNode: "pi-a1", Uninstall: []string{rsAgentUninstall},
			Remove:      []string{hostpath.K3sConfig, rsEtcRancherNode, hostpath.StageDir},
			RemoveEmpty: []string{rsEtcRancher, rsVarLibRancher}, DeleteNode: "pi-a1", DeletePassword: "pi-a1.node-password.k3s"}, ""},
		{"node never registered: its orphan secret goes", agent, installedAgent, unlisted, false, Plan{
			Uninstall:   []string{rsAgentUninstall},
			Remove:      []string{hostpath.K3sConfig, rsEtcRancherNode, hostpath.StageDir},
			RemoveEmpty: []string{rsEtcRancher, rsVarLibRancher}, DeletePassword: "pi-a1.node-password.k3s"}, ""},
		{"cluster stays but no server runs: the node password is kept", agent, installedAgent, down, false, Plan{
			Uninstall:   []string{rsAgentUninstall},
			Remove:      []string{hostpath.K3sConfig, hostpath.StageDir},
			RemoveEmpty: []string{rsVarLibRancher}}, ""},
		{"both scripts: agent's first", facts.Facts{K3sRole: "server"}, probeOf([]string{rsServerUninstall, rsAgentUninstall}, nil), goes, false,
			Plan{Uninstall: []string{rsAgentUninstall, rsServerUninstall}}, ""},
		{"staged, never installed", facts.Facts{}, probeOf([]string{hostpath.K3sBinary, hostpath.K3sConfig, rsEtcRancherK3s, hostpath.StageDir},
			map[string][]string{rsEtcRancher: {rsEtcRancherK3s}}), goes, false,
			Plan{Remove: []string{rsEtcRancherK3s, hostpath.K3sBinary, hostpath.StageDir}, RemoveEmpty: []string{rsEtcRancher}}, ""},
		{"foreign files keep /etc/rancher", facts.Facts{}, probeOf([]string{hostpath.StageDir},
			map[string][]string{rsEtcRancher: {"/etc/rancher/rke2"}, rsVarLibRancher: {}}), goes, false,
			Plan{Remove: []string{hostpath.StageDir}, RemoveEmpty: []string{rsVarLibRancher}}, ""},
		{"node left in the cluster, host already clean", facts.Facts{}, probeOf(nil, nil), listed, false,
			Plan{DeleteNode: "pi-a1", DeletePassword: "pi-a1.node-password.k3s"}, ""},
		{"unit without uninstall script", facts.Facts{K3sRole: "server"}, probeOf([]string{hostpath.K3sBinary}, nil), goes, false,
			Plan{}, "no k3s uninstall script"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := planReset(tt.f, tt.p, "pi-a1", tt.view, tt.restore)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("planReset =\n %#v, %v\nwant\n %#v", got, err, tt.want)
			}
			if got.Empty() != (len(got.Actions()) == 0) {
				t.Errorf("Empty() = %v but Actions() = %v", got.Empty(), got.Actions())
			}
		})
	}
}

func TestParseResetProbe(t *testing.T) {
	out := "path=/usr/local/bin/k3s\npath=/var/lib/k3sup-pi\ndir=/etc/rancher\nentry=/etc/rancher/k3s\nentry=/etc/rancher/node\ndir=/var/lib/rancher\nnoise\n"
	got := parseResetProbe([]byte(out))
	want := probeOf([]string{hostpath.K3sBinary, hostpath.StageDir}, map[string][]string{
		rsEtcRancher: {rsEtcRancherK3s, rsEtcRancherNode}, rsVarLibRancher: {}})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseResetProbe = %#v, want %#v", got, want)
	}
}

// TestResetScripts runs probe.sh and cleanup.sh under sh and dash against a
// temporary root holding an installed agent: the probe sees what is there,
// the cleanup runs the uninstall script, removes the leftovers and the
// emptied directory, and keeps one that holds something else.
func TestResetScripts(t *testing.T) {
	for _, shell := range []string{"sh", "dash"} {
		t.Run(shell, func(t *testing.T) {
			root := t.TempDir()
			at := func(p string) string { return root + p }
			for _, f := range []string{"/usr/local/bin/k3s", "/etc/rancher/k3s/config.yaml", "/etc/rancher/node/password", "/var/lib/k3sup-pi/install.sh", "/var/lib/rancher/rke2/x"} {
				if err := os.MkdirAll(filepath.Dir(at(f)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(at(f), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			uninstall := at(rsAgentUninstall) // removes what k3s's own script removes
			script := "#!/bin/sh\nrm -rf '" + at("/usr/local/bin/k3s") + "' '" + at("/etc/rancher/k3s") + "'\n"
			if err := os.WriteFile(uninstall, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			c := &fleettest.Local{Shell: shell}
			res, err := c.Run(context.Background(), remote.Script(probeSh, "path="+uninstall, "path="+at(hostpath.K3sBinary), "path="+at("/nothing"),
				"dir="+at(rsEtcRancher), "dir="+at("/var/lib/none")))
			if err != nil {
				t.Fatal(err)
			}
			got := parseResetProbe(res.Stdout)
			want := probeOf([]string{uninstall, at(hostpath.K3sBinary)}, map[string][]string{at(rsEtcRancher): {at(rsEtcRancherK3s), at(rsEtcRancherNode)}})
			slices.Sort(got.entries[at(rsEtcRancher)])
			if !reflect.DeepEqual(got, want) {
				t.Errorf("probe = %#v\nwant %#v", got, want)
			}
			p := Plan{Uninstall: []string{uninstall}, Remove: []string{at(rsEtcRancherNode), at(hostpath.StageDir)},
				RemoveEmpty: []string{at(rsEtcRancher), at(rsVarLibRancher)}}
			res, err = c.Run(context.Background(), cleanupCmd(p))
			if err != nil || strings.TrimSpace(string(res.Stdout)) != "kept "+at(rsVarLibRancher) {
				t.Fatalf("cleanup: %q, %v", res.Stdout, err)
			}
			for _, gone := range []string{"/usr/local/bin/k3s", "/etc/rancher", "/var/lib/k3sup-pi"} {
				if _, err := os.Stat(at(gone)); !os.IsNotExist(err) {
					t.Errorf("%s still there (%v)", gone, err)
				}
			}
			if err := os.WriteFile(uninstall, []byte("#!/bin/sh\necho disk full; exit 1\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			_, err = c.Run(context.Background(), cleanupCmd(Plan{Uninstall: []string{uninstall}}))
			if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "k3s-agent-uninstall.sh failed") {
				t.Errorf("a failing uninstall: %v", err)
			}
		})
	}
}

func TestResetUnknownHost(t *testing.T) {
	f := newTestFleet(t, false, "s1", "a1")
	_, err := f.reset(Options{Hosts: []string{"nope"}})
	var unknown *inventory.SelectError
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("err = %v, want a SelectError naming the host", err)
	}
}

// testFleet is hosts with k3s installed by an earlier up (servers named s*,
// agents a*), their cmdline.txt patched with a backup kept; or fresh ones.
type testFleet struct {
	*fleettest.Fleet
	inv *inventory.Inventory
}

func newTestFleet(t *testing.T, installed bool, names ...string) *testFleet {
	f := &testFleet{Fleet: fleettest.New(t), inv: fleettest.Inventory(t, t.TempDir(), "", names...)}
	fixture := fleettest.Fixture(t, "pi4-bookworm-arm64.txt")
	for _, n := range names {
		h := f.Add(n, fixture)
		h.Set("hostname", n)
		if !installed {
			continue
		}
		orig, _ := hex.DecodeString(h.Fact("cmdline_hex"))
		patched, _, err := cmdline.Patch(string(orig))
		if err != nil {
			t.Fatal(err)
		}
		h.Set("cmdline_hex", hex.EncodeToString([]byte(patched)), "cmdline_bak", "1", "cmdline_bak_hex", hex.EncodeToString(orig), "memory_cgroup", "1")
		h.Running(map[bool]string{true: "server", false: "agent"}[n[0] == 's'], "v1.31.4+k3s1")
	}
	return f
}

// reset runs Run against the fleet.
func (f *testFleet) reset(opt Options) (*Result, error) {
	opt.Inventory = f.inv
	opt.Dial = func(ctx context.Context, h inventory.Host) (fleet.Conn, error) { return f.Dial(ctx, h.Address) }
	opt.Log = &fleettest.Log{}
	return Run(context.Background(), opt)
}

// each is "name: what" for every name.
func each(names []string, what string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + ": " + what
	}
	return out
}

// sameSet fails unless got and want hold the same lines, in any order.
func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(g, w) {
		t.Errorf("%s:\n got %q\nwant %q", what, g, w)
	}
}

// TestResetOrder resets a cluster on the fake fleet.
func TestResetOrder(t *testing.T) {
	names := []string{"s1", "s2", "s3", "a1", "a2"}
	undo := func(ns ...string) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n+": uninstall", n+": write /boot/firmware/cmdline.txt")
		}
		return out
	}
	tests := []struct {
		name    string
		up      bool
		hosts   []string
		restore bool
		dryRun  bool
		want    [][]string // groups of changing events in order; within a group any order
		confirm []string   // the hosts Confirm is asked about; nil = not asked
	}{
		{"whole cluster: agents, then s2, s3, then the init server, then reboots", true, nil, true, false,
			[][]string{undo("a1", "a2"), undo("s2"), undo("s3"), undo("s1"), each(names, "reboot")},
			[]string{"a1", "a2", "s2", "s3", "s1"}},
		{"one agent while the cluster stays: drain, uninstall, delete", true, []string{"a2"}, false, false,
			[][]string{{"s1: kubectl drain --ignore-daemonsets --delete-emptydir-data --timeout=120s a2"}, {"a2: uninstall"},
				{"s1: kubectl delete node --ignore-not-found a2"}, {"s1: kubectl delete secret -n kube-system --ignore-not-found a2.node-password.k3s"}},
			[]string{"a2"}},
		{"dry run changes nothing", true, nil, true, true, nil, nil},
		{"clean hosts: nothing done, nothing asked", false, nil, true, false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFleet(t, tt.up, names...)
			var asked []string
			res, err := f.reset(Options{Hosts: tt.hosts, RestoreCmdline: tt.restore, DryRun: tt.dryRun, Confirm: func(p *Result) error {
				for _, h := range p.Hosts {
					if len(h.Actions) > 0 {
						asked = append(asked, h.Host)
					}
				}
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			got := f.Changing()
			for i, g := range tt.want {
				if len(got) < len(g) {
					t.Fatalf("group %d: got only %q, want %q", i, got, g)
				}
				sameSet(t, fmt.Sprintf("group %d", i), got[:len(g)], g)
				got = got[len(g):]
			}
			if len(got) > 0 {
				t.Errorf("more changes than wanted: %q", got)
			}
			if !slices.Equal(asked, tt.confirm) {
				t.Errorf("confirm asked %v, want %v", asked, tt.confirm)
			}
			if want := len(tt.confirm); !tt.dryRun && res.Changed() != want {
				t.Errorf("Changed() = %d, want %d", res.Changed(), want)
			}
		})
	}
}
