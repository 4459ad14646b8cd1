package steps

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
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
	installedAgent := probeOf([]string{rsAgentUninstall, k3sBinary, ConfigPath, rsEtcRancherK3s, rsEtcRancherNode, rsK3sDataDir, stageDir},
		map[string][]string{rsEtcRancher: {rsEtcRancherK3s, rsEtcRancherNode}, rsVarLibRancher: {rsK3sDataDir}})
	agent := facts.Facts{K3sRole: "agent", CmdlinePath: "/boot/firmware/cmdline.txt", CmdlineBak: true,
		Cmdline: "root=/dev/mmcblk0p2 rootwait cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory\n", CmdlineBackup: "root=/dev/mmcblk0p2 rootwait\n"}
	fromBackup := &CmdlineRestore{Path: agent.CmdlinePath, Before: agent.Cmdline, After: agent.CmdlineBackup, FromBackup: true}
	goes := clusterView{}
	listed := clusterView{stays: true, reachable: true, nodes: map[string]kubeNode{"pi-a1": {Name: "pi-a1"}},
		passwords: map[string]bool{"pi-a1.node-password.k3s": true}}
	unlisted := clusterView{stays: true, reachable: true, passwords: map[string]bool{"pi-a1.node-password.k3s": true}}
	down := clusterView{stays: true}
	tests := []struct {
		name    string
		f       facts.Facts
		p       resetProbe
		view    clusterView
		restore bool
		want    ResetPlan
		wantErr string
	}{
		{"clean host", facts.Facts{CmdlinePath: "/boot/firmware/cmdline.txt"}, probeOf(nil, nil), goes, true, ResetPlan{}, ""},
		{"backup kept without --restore-cmdline", facts.Facts{CmdlinePath: "/boot/firmware/cmdline.txt", CmdlineBak: true}, probeOf(nil, nil), goes, false, ResetPlan{}, ""},
		{"installed agent, whole cluster goes", agent, installedAgent, goes, true, ResetPlan{
			Uninstall:   []string{rsAgentUninstall},
			Remove:      []string{ConfigPath, rsEtcRancherNode, stageDir},
			RemoveEmpty: []string{rsEtcRancher, rsVarLibRancher},
			Cmdline:     fromBackup}, ""},
		{"installed agent, cluster stays", agent, installedAgent, listed, false, ResetPlan{
			DrainNode: "pi-a1", Uninstall: []string{rsAgentUninstall},
			Remove:      []string{ConfigPath, rsEtcRancherNode, stageDir},
			RemoveEmpty: []string{rsEtcRancher, rsVarLibRancher}, DeleteNode: "pi-a1", DeletePassword: "pi-a1.node-password.k3s"}, ""},
		{"node never registered: its orphan secret goes", agent, installedAgent, unlisted, false, ResetPlan{
			Uninstall:   []string{rsAgentUninstall},
			Remove:      []string{ConfigPath, rsEtcRancherNode, stageDir},
			RemoveEmpty: []string{rsEtcRancher, rsVarLibRancher}, DeletePassword: "pi-a1.node-password.k3s"}, ""},
		{"cluster stays but no server runs: the node password is kept", agent, installedAgent, down, false, ResetPlan{
			Uninstall:   []string{rsAgentUninstall},
			Remove:      []string{ConfigPath, stageDir},
			RemoveEmpty: []string{rsVarLibRancher}}, ""},
		{"both scripts: agent's first", facts.Facts{K3sRole: "server"}, probeOf([]string{rsServerUninstall, rsAgentUninstall}, nil), goes, false,
			ResetPlan{Uninstall: []string{rsAgentUninstall, rsServerUninstall}}, ""},
		{"staged, never installed", facts.Facts{}, probeOf([]string{k3sBinary, ConfigPath, rsEtcRancherK3s, stageDir},
			map[string][]string{rsEtcRancher: {rsEtcRancherK3s}}), goes, false,
			ResetPlan{Remove: []string{rsEtcRancherK3s, k3sBinary, stageDir}, RemoveEmpty: []string{rsEtcRancher}}, ""},
		{"foreign files keep /etc/rancher", facts.Facts{}, probeOf([]string{stageDir},
			map[string][]string{rsEtcRancher: {"/etc/rancher/rke2"}, rsVarLibRancher: {}}), goes, false,
			ResetPlan{Remove: []string{stageDir}, RemoveEmpty: []string{rsVarLibRancher}}, ""},
		{"node left in the cluster, host already clean", facts.Facts{}, probeOf(nil, nil), listed, false,
			ResetPlan{DeleteNode: "pi-a1", DeletePassword: "pi-a1.node-password.k3s"}, ""},
		{"unit without uninstall script", facts.Facts{K3sRole: "server"}, probeOf([]string{k3sBinary}, nil), goes, false,
			ResetPlan{}, "no k3s uninstall script"},
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
	want := probeOf([]string{k3sBinary, stageDir}, map[string][]string{
		rsEtcRancher: {rsEtcRancherK3s, rsEtcRancherNode}, rsVarLibRancher: {}})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseResetProbe = %#v, want %#v", got, want)
	}
}

func TestResetScripts(t *testing.T) {
	p := ResetPlan{Uninstall: []string{rsAgentUninstall}, Remove: []string{ConfigPath, stageDir}, RemoveEmpty: []string{rsEtcRancher}}
	tests := []struct {
		name, script string
		want         []string
	}{
		{"cleanup", resetCleanupScript(p), []string{"run " + rsAgentUninstall, "rm -rf " + ConfigPath + " " + stageDir, "rmdir /etc/rancher"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.want {
				if !strings.Contains(tt.script, w) {
					t.Errorf("script lacks %q:\n%s", w, tt.script)
				}
			}
		})
	}
}

// fakeHost answers reset's commands like a host would and logs them.
type fakeHost struct {
	name, role string
	installed  bool
	fixture    []byte // facts of an installed k3s server
	log        *cmdLog
}

// cmdLog is the ordered record of the commands every fake host received.
type cmdLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *cmdLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
}

func (l *cmdLog) matching(re string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	r := regexp.MustCompile(re)
	for _, s := range l.lines {
		if r.MatchString(s) {
			out = append(out, s)
		}
	}
	return out
}

func (h *fakeHost) Name() string { return h.name }

func (h *fakeHost) Run(_ context.Context, cmd remote.Cmd) (remote.Result, error) {
	switch {
	case strings.Contains(cmd.Script, "k3sup_pi_facts"):
		return remote.Result{Stdout: h.facts()}, nil
	case cmd.Script == resetProbeScript():
		return remote.Result{Stdout: h.probe()}, nil
	case strings.HasPrefix(cmd.Script, "k3s kubectl get secrets"):
		return remote.Result{Stdout: []byte("secret/a2.node-password.k3s\nsecret/other\nsecret/s1.node-password.k3s\n")}, nil
	case strings.HasPrefix(cmd.Script, "k3s kubectl get nodes"):
		return remote.Result{Stdout: []byte(`{"items":[{"metadata":{"name":"a1"}},{"metadata":{"name":"a2"}},{"metadata":{"name":"s1"}},{"metadata":{"name":"s2"}}]}`)}, nil
	case strings.HasPrefix(cmd.Script, "k3s kubectl "):
		h.log.add(h.name + ": " + strings.TrimPrefix(cmd.Script, "k3s kubectl "))
	case strings.Contains(cmd.Script, "uninstall.sh"):
		h.log.add(h.name + ": uninstall")
	case strings.Contains(cmd.Script, BackupSuffix):
		h.log.add(h.name + ": restore")
		return remote.Result{Stdout: []byte("changed\n")}, nil
	default:
		h.log.add(h.name + ": " + cmd.Script)
	}
	return remote.Result{}, nil
}

func (h *fakeHost) facts() []byte {
	s := strings.Replace(string(h.fixture), "hostname=pi-01", "hostname="+h.name, 1)
	if !h.installed {
		s = strings.Replace(s, "k3s_role=server", "k3s_role=", 1)
		s = strings.Replace(s, "service_active=1", "service_active=0", 1)
		s = strings.Replace(s, "cmdline_bak=1", "cmdline_bak=0", 1)
	} else if h.role == "agent" {
		s = strings.Replace(s, "k3s_role=server", "k3s_role=agent", 1)
	}
	return []byte(s)
}

func (h *fakeHost) probe() []byte {
	if !h.installed {
		return nil
	}
	script := rsServerUninstall
	if h.role == "agent" {
		script = rsAgentUninstall
	}
	return []byte("path=" + script + "\npath=" + stageDir + "\ndir=/etc/rancher\nentry=/etc/rancher/k3s\n")
}

func (h *fakeHost) WriteFile(context.Context, string, []byte, fs.FileMode) (bool, error) {
	return false, errors.New("reset writes no files")
}

func (h *fakeHost) Upload(context.Context, string, string, fs.FileMode) (bool, error) {
	return false, errors.New("reset uploads nothing")
}

func (h *fakeHost) Reboot(context.Context, time.Duration) error {
	h.log.add(h.name + ": reboot")
	return nil
}

func (h *fakeHost) Close() error { return nil }

type resetQuietLog struct{}

func (resetQuietLog) Phase(string)                 {}
func (resetQuietLog) Hostf(string, string, ...any) {}
func (resetQuietLog) Warnf(string, ...any)         {}

// fakeFleet is 2 servers (s1 the init server) and 2 agents.
func fakeFleet(t *testing.T, installed bool) (*inventory.Inventory, Dialer, *cmdLog) {
	t.Helper()
	fixture, err := os.ReadFile("../facts/testdata/pi4-k3s-server.txt")
	if err != nil {
		t.Fatal(err)
	}
	log := &cmdLog{}
	inv := &inventory.Inventory{File: "inventory.yml", Cluster: inventory.Cluster{Concurrency: 4, RebootTimeout: time.Minute}}
	hosts := map[string]*fakeHost{}
	for _, h := range []struct{ name, role string }{{"s1", "server"}, {"a1", "agent"}, {"s2", "server"}, {"a2", "agent"}} {
		inv.Hosts = append(inv.Hosts, inventory.Host{Address: h.name, Role: h.role, Hostname: h.name})
		hosts[h.name] = &fakeHost{name: h.name, role: h.role, installed: installed, fixture: fixture, log: log}
	}
	dial := func(_ context.Context, h inventory.Host) (Conn, error) { return hosts[h.Address], nil }
	return inv, dial, log
}

func TestResetOrder(t *testing.T) {
	tests := []struct {
		name      string
		hosts     []string
		restore   bool
		dryRun    bool
		installed bool
		want      []string // the log, in order; agents' lines sorted as they run in parallel
		confirm   []string // the hosts Confirm is asked about; nil = not asked
	}{
		{"whole cluster: agents, then s2, then the init server, then reboots", nil, true, false, true,
			[]string{"a1: uninstall", "a1: restore", "a2: uninstall", "a2: restore", "s2: uninstall", "s2: restore",
				"s1: uninstall", "s1: restore", "a1: reboot", "a2: reboot", "s1: reboot", "s2: reboot"},
			[]string{"a1", "a2", "s2", "s1"}},
		{"one agent while the cluster stays: drain, uninstall, delete", []string{"a2"}, false, false, true,
			[]string{"s1: drain --ignore-daemonsets --delete-emptydir-data --timeout=120s a2", "a2: uninstall",
				"s1: delete node --ignore-not-found a2", "s1: delete secret -n kube-system --ignore-not-found a2.node-password.k3s"},
			[]string{"a2"}},
		{"dry run changes nothing", nil, true, true, true, nil, nil},
		{"clean hosts: nothing done, nothing asked", nil, true, false, false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, dial, log := fakeFleet(t, tt.installed)
			var asked []string
			res, err := Reset(context.Background(), ResetOptions{Inventory: inv, Dial: dial, Log: resetQuietLog{}, Hosts: tt.hosts,
				RestoreCmdline: tt.restore, DryRun: tt.dryRun, Confirm: func(p *ResetResult) error {
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
			got := log.matching(".")
			sortParallel(got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("commands =\n %q\nwant\n %q", got, tt.want)
			}
			if !reflect.DeepEqual(asked, tt.confirm) {
				t.Errorf("confirm asked %v, want %v", asked, tt.confirm)
			}
			if want := len(tt.confirm); !tt.dryRun && res.Changed() != want {
				t.Errorf("Changed() = %d, want %d", res.Changed(), want)
			}
		})
	}
}

// sortParallel orders the agents' lines (they run in parallel) and the reboots
// (together) by host, keeping everything else in place.
func sortParallel(lines []string) {
	isAgent := func(s string) bool { return strings.HasPrefix(s, "a") && !strings.HasSuffix(s, "reboot") }
	isReboot := func(s string) bool { return strings.HasSuffix(s, ": reboot") }
	for _, group := range []func(string) bool{isAgent, isReboot} {
		var idx []int
		var vals []string
		for i, s := range lines {
			if group(s) {
				idx = append(idx, i)
				vals = append(vals, s)
			}
		}
		slices.SortStableFunc(vals, func(a, b string) int { return strings.Compare(hostOf(a), hostOf(b)) })
		for k, i := range idx {
			lines[i] = vals[k]
		}
	}
}

func hostOf(s string) string { h, _, _ := strings.Cut(s, ":"); return h }

func TestResetUnknownHost(t *testing.T) {
	inv, dial, _ := fakeFleet(t, true)
	_, err := Reset(context.Background(), ResetOptions{Inventory: inv, Dial: dial, Log: resetQuietLog{}, Hosts: []string{"nope"}})
	var unknown *inventory.SelectError
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("err = %v, want a SelectError naming the host", err)
	}
}
