package steps

import (
	"context"
	"encoding/hex"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/kube"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// patchedCmdline is a cmdline.txt that an earlier run gave the cgroup flags.
const patchedCmdline = "console=tty1 root=PARTUUID=4e639091-02 rootwait cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory\n"

// rebootRun builds a run over fake hosts that all need a reboot. Each host is
// "name:role:k3s" where k3s is "running" or "" (no k3s yet).
func rebootRun(t *testing.T, specs []string, notBack, k3sDown string) (*run, *testFleet) {
	t.Helper()
	f := newTestFleet(t, "")
	r := &run{opt: Options{Log: &fleettest.Log{}}, prep: map[*fleet.Node]PrepPlan{},
		inv: &inventory.Inventory{Cluster: inventory.Cluster{Concurrency: 4, RebootTimeout: time.Minute, ReadyTimeout: time.Minute}}}
	for _, s := range specs {
		parts := strings.Split(s, ":")
		name, hr, k3s := parts[0], parts[1], parts[2]
		f.add(name)
		h := f.Host(f.addr[name])
		h.Set("hostname", name, "cmdline_bak", "1", "cmdline_hex", hex.EncodeToString([]byte(patchedCmdline)))
		if k3s == "running" {
			h.Running(hr, "v1.31.4+k3s1")
		}
		h.NotBack, h.DownAfterReboot = name == notBack, name == k3sDown
		n := &fleet.Node{Host: inventory.Host{Address: f.addr[name], Role: role.Role(hr), Hostname: name}, Conn: h}
		if err := fleet.Gather(context.Background(), n); err != nil {
			t.Fatal(err)
		}
		r.nodes = append(r.nodes, n)
		if hr == "server" {
			r.servers = append(r.servers, n)
		} else {
			r.agents = append(r.agents, n)
		}
		r.prep[n] = PrepPlan{Reboot: true, RebootReason: "test"} // cmdline.txt patched by an earlier run
	}
	r.cl = &kube.Client{Servers: r.servers}
	f.Reset()
	return r, f
}

func TestRebootOrder(t *testing.T) {
	tests := []struct {
		name     string
		hosts    []string
		notBack  string   // the host whose reboot times out
		k3sDown  string   // the host whose k3s does not start again
		want     []string // the log; the first `together` lines (parallel reboots) sorted by name
		together int
		wantErr  []string
	}{
		{"running HA servers one at a time, each Ready before the next; the rest together first",
			[]string{"s1:server:running", "s2:server:running", "s3:server:running", "a1:agent:running", "n1:agent:"}, "", "",
			[]string{"a1: reboot", "n1: reboot",
				"s1: reboot", "s1: is-active", "s2: kubectl get nodes",
				"s2: reboot", "s2: is-active", "s1: kubectl get nodes",
				"s3: reboot", "s3: is-active", "s1: kubectl get nodes"}, 2, nil},
		{"a new HA cluster reboots together",
			[]string{"s1:server:", "s2:server:", "s3:server:", "a1:agent:"}, "", "",
			[]string{"a1: reboot", "s1: reboot", "s2: reboot", "s3: reboot"}, 4, nil},
		{"a lone server reboots with its agents",
			[]string{"s1:server:running", "a1:agent:running"}, "", "",
			[]string{"a1: reboot", "s1: reboot"}, 2, nil},
		{"a server that does not come back stops the rolling reboot",
			[]string{"s1:server:running", "s2:server:running", "s3:server:running"}, "s2", "",
			[]string{"s1: reboot", "s1: is-active", "s2: kubectl get nodes", "s2: reboot"}, 0,
			[]string{"s2 did not come back within 1m0s", "console", "SD card",
				"/boot/firmware/cmdline.txt.k3sup-pi.bak"}},
		{"a server whose k3s does not start stops the rolling reboot",
			[]string{"s1:server:running", "s2:server:running"}, "", "s1",
			[]string{"s1: reboot", "s1: is-active"}, 0,
			[]string{`s1: k3s is "failed" after the reboot; the next server is not rebooted`, "journalctl -u k3s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := rebootRun(t, tt.hosts, tt.notBack, tt.k3sDown)
			err := fleet.RunPhases(context.Background(), &fleettest.Log{}, r.preparePhase())
			if len(tt.wantErr) == 0 && err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to contain %q", err, want)
				}
			}
			if name := tt.notBack + tt.k3sDown; err != nil && strings.Count(err.Error(), name) != 1 {
				t.Errorf("the host is not named exactly once: %v", err)
			}
			var got []string
			for _, l := range f.lines() {
				if !strings.HasSuffix(l, ": gather facts") {
					got = append(got, strings.TrimSuffix(l, " -o json"))
				}
			}
			slices.Sort(got[:min(tt.together, len(got))])
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("log =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}
