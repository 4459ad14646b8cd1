package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// rebootHost is a fake host for the reboot order: it logs reboots, the
// k3s service checks and the kubectl calls run on it, and says every node
// is Ready.
type rebootHost struct {
	name     string
	facts    []byte
	log      *cmdLog
	notBack  bool // its reboot times out
	k3sDown  bool // its k3s service failed to start after the reboot
	nodeList []byte
}

func (h *rebootHost) Name() string { return h.name }

func (h *rebootHost) Run(_ context.Context, cmd remote.Cmd) (remote.Result, error) {
	switch {
	case strings.Contains(cmd.Script, "k3sup_pi_facts"):
		return remote.Result{Stdout: h.facts}, nil
	case strings.HasPrefix(cmd.Script, "systemctl is-active"):
		h.log.add(h.name + ": is-active")
		if h.k3sDown {
			return remote.Result{Stdout: []byte("failed\n")}, nil
		}
		return remote.Result{Stdout: []byte("active\n")}, nil
	case strings.HasPrefix(cmd.Script, "k3s kubectl get nodes"):
		h.log.add(h.name + ": get nodes")
		return remote.Result{Stdout: h.nodeList}, nil
	}
	return remote.Result{}, fmt.Errorf("unexpected command %q", cmd.Script)
}

func (h *rebootHost) Reboot(_ context.Context, timeout time.Duration) error {
	h.log.add(h.name + ": reboot")
	if h.notBack {
		return &remote.NotBackError{Host: h.name, Timeout: timeout, Stage: remote.StageDown, Last: "no SSH connection"}
	}
	return nil
}

func (h *rebootHost) WriteFile(context.Context, string, []byte, fs.FileMode) (bool, error) {
	return false, errors.New("not here")
}

func (h *rebootHost) Upload(context.Context, string, string, fs.FileMode) (bool, error) {
	return false, errors.New("not here")
}

func (h *rebootHost) Close() error { return nil }

// rebootRun builds a run over fake hosts that all need a reboot. Each host is
// "name:role:k3s" where k3s is "running" or "" (no k3s yet).
func rebootRun(t *testing.T, specs []string, notBack, k3sDown string) (*run, *cmdLog) {
	t.Helper()
	fixture, err := os.ReadFile("../facts/testdata/pi4-k3s-server.txt")
	if err != nil {
		t.Fatal(err)
	}
	log := &cmdLog{}
	r := &run{opt: Options{Log: resetQuietLog{}}, prep: map[*Node]PrepPlan{},
		inv: &inventory.Inventory{Cluster: inventory.Cluster{Concurrency: 4, RebootTimeout: time.Minute, ReadyTimeout: time.Minute}}}
	var items []string
	for _, s := range specs {
		name, _, _ := strings.Cut(s, ":")
		items = append(items, fmt.Sprintf(`{"metadata":{"name":%q},"status":{"conditions":[{"type":"Ready","status":"True"}]}}`, name))
	}
	list := []byte(`{"items":[` + strings.Join(items, ",") + `]}`)
	for _, s := range specs {
		parts := strings.Split(s, ":")
		name, role, k3s := parts[0], parts[1], parts[2]
		f := strings.Replace(string(fixture), "hostname=pi-01", "hostname="+name, 1)
		f = strings.Replace(f, "k3s_role=server", "k3s_role="+role, 1)
		if k3s != "running" {
			f = strings.Replace(strings.Replace(f, "k3s_role="+role, "k3s_role=", 1), "service_active=1", "service_active=0", 1)
		}
		h := &rebootHost{name: name, facts: []byte(f), log: log, notBack: name == notBack, k3sDown: name == k3sDown, nodeList: list}
		n := &Node{Host: inventory.Host{Address: name, Role: role, Hostname: name}, Conn: h}
		if err := gather(context.Background(), n); err != nil {
			t.Fatal(err)
		}
		r.nodes = append(r.nodes, n)
		if role == "server" {
			r.servers = append(r.servers, n)
		} else {
			r.agents = append(r.agents, n)
		}
		r.prep[n] = PrepPlan{Reboot: true, RebootReason: "test"} // cmdline.txt patched by an earlier run
	}
	r.cl = &cluster{servers: r.servers}
	return r, log
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
				"s1: reboot", "s1: is-active", "s2: get nodes",
				"s2: reboot", "s2: is-active", "s1: get nodes",
				"s3: reboot", "s3: is-active", "s1: get nodes"}, 2, nil},
		{"a new HA cluster reboots together",
			[]string{"s1:server:", "s2:server:", "s3:server:", "a1:agent:"}, "", "",
			[]string{"a1: reboot", "s1: reboot", "s2: reboot", "s3: reboot"}, 4, nil},
		{"a lone server reboots with its agents",
			[]string{"s1:server:running", "a1:agent:running"}, "", "",
			[]string{"a1: reboot", "s1: reboot"}, 2, nil},
		{"a server that does not come back stops the rolling reboot",
			[]string{"s1:server:running", "s2:server:running", "s3:server:running"}, "s2", "",
			[]string{"s1: reboot", "s1: is-active", "s2: get nodes", "s2: reboot"}, 0,
			[]string{"s2 did not come back within 1m0s", "console", "SD card",
				"/boot/firmware/cmdline.txt.k3sup-pi.bak"}},
		{"a server whose k3s does not start stops the rolling reboot",
			[]string{"s1:server:running", "s2:server:running"}, "", "s1",
			[]string{"s1: reboot", "s1: is-active"}, 0,
			[]string{`s1: k3s is "failed" after the reboot; the next server is not rebooted`, "journalctl -u k3s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, log := rebootRun(t, tt.hosts, tt.notBack, tt.k3sDown)
			err := r.prepare(context.Background())
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
			got := log.matching(".")
			slices.Sort(got[:min(tt.together, len(got))])
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("log =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}
