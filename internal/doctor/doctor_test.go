package doctor

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

func TestParseFsync(t *testing.T) {
	const head = "dir=/var/lib\ndevice=/dev/mmcblk0p2\n"
	tests := []struct {
		name   string
		out    string
		writes int
		iops   float64
		err    string
	}{
		{"200 writes in 2s", head + "rc=0\nbytes=819200\nstart=1000000000\nend=3000000000\n", 200, 100, ""},
		{"stopped at the deadline", head + "rc=124\nbytes=122880\nstart=0\nend=5000000000\n", 30, 6, ""},
		{"fast disk", head + "rc=0\nbytes=819200\nstart=10\nend=100000010\n", 200, 2000, ""},
		{"dd failed", head + "rc=1\nbytes=0\nstart=1\nend=2\n", 0, 0, "dd failed (exit 1)"},
		{"no %N in date", head + "rc=0\nbytes=819200\nstart=1700000000N\nend=1700000002N\n", 0, 0, "no usable timing"},
		{"nothing written", head + "rc=124\nbytes=0\nstart=0\nend=5000000000\n", 0, 0, "no write completed"},
		{"empty", "", 0, 0, "printed no result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := parseFsync(tt.out)
			if tt.err != "" {
				if !strings.Contains(s.Err, tt.err) || s.IOPS != 0 {
					t.Fatalf("err %q iops %v, want error %q", s.Err, s.IOPS, tt.err)
				}
				return
			}
			if s.Err != "" || s.Writes != tt.writes || math.Abs(s.IOPS-tt.iops) > 0.01 {
				t.Fatalf("got writes %d iops %v err %q, want %d %v", s.Writes, s.IOPS, s.Err, tt.writes, tt.iops)
			}
			if s.DataDir != "/var/lib" || s.Device != "/dev/mmcblk0p2" {
				t.Errorf("dir %q device %q", s.DataDir, s.Device)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		name string
		s    Storage
		warn bool
		want string
	}{
		{"agent on a slow card", Storage{IOPS: 12}, false, "ok"},
		{"server without etcd", Storage{IOPS: 12}, false, "ok"},
		{"etcd on an SD card", Storage{IOPS: 30, Etcd: true}, true, "too slow for embedded etcd (needs 50, advises 500)"},
		{"etcd just enough", Storage{IOPS: 50, Etcd: true}, false, "ok for etcd (500 advised"},
		{"etcd on an SSD", Storage{IOPS: 1800, Etcd: true}, false, "ok for etcd"},
		{"not measured", Storage{Etcd: true, Err: "dd failed"}, false, "unknown: dd failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warn := verdict(tt.s)
			if warn != tt.warn || !strings.HasPrefix(got, tt.want) {
				t.Errorf("verdict = %q, %v; want %q, %v", got, warn, tt.want, tt.warn)
			}
		})
	}
}

func TestDataDir(t *testing.T) {
	inv := &inventory.Inventory{}
	inv.Cluster.ServerConfig = map[string]any{"data-dir": "/mnt/ssd/k3s"}
	inv.Cluster.AgentConfig = map[string]any{"data-dir": "relative/ignored"}
	tests := []struct{ role, want string }{
		{"server", "/mnt/ssd/k3s"},
		{"agent", defaultDataDir},
	}
	for _, tt := range tests {
		if got := dataDir(inv, &fleet.Node{Host: inventory.Host{Role: role.Role(tt.role)}}); got != tt.want {
			t.Errorf("%s data dir %q, want %q", tt.role, got, tt.want)
		}
	}
}

// TestMeasureRunsTheScript runs the real script with the local sh and dd on a
// data dir that does not exist yet: it measures its parent and leaves nothing.
func TestMeasureRunsTheScript(t *testing.T) {
	parent := t.TempDir()
	inv := &inventory.Inventory{}
	inv.Cluster.ServerConfig = map[string]any{"data-dir": filepath.Join(parent, "rancher", "k3s")}
	inv.Hosts = []inventory.Host{{Address: "10.0.0.1", Role: "server"}, {Address: "10.0.0.2", Role: "server"}}
	n := &fleet.Node{Host: inv.Hosts[0], Conn: &fleettest.Local{}}
	s := measure(context.Background(), inv, n)
	if s.Err != "" || s.IOPS <= 0 || s.Writes <= 0 || s.Writes > fsyncWrites {
		t.Fatalf("measure: %+v", s)
	}
	if s.DataDir != parent || !s.Etcd {
		t.Errorf("measured %q (etcd %v), want %q (etcd true)", s.DataDir, s.Etcd, parent)
	}
	left, err := os.ReadDir(parent)
	if err != nil || len(left) != 0 {
		t.Errorf("the data dir's parent keeps %v (%v)", left, err)
	}
	t.Logf("local fsync: %d writes in %.2fs = %.0f IOPS on %s", s.Writes, s.Seconds, s.IOPS, s.Device)
}

// TestRun: doctor on the fake fleet reads facts, probes and measures, and
// changes nothing; a slow server under embedded etcd is warned about.
func TestRun(t *testing.T) {
	f := fleettest.New(t)
	names := []string{"s1", "s2", "s3", "a1"}
	for _, n := range names {
		f.Add(n, fleettest.Fixture(t, "pi4-k3s-server.txt")).Set("hostname", n)
	}
	f.Host("s2").Fail = map[string]string{"k3sup-pi doctor": "dd: failed to open: Read-only file system"}
	inv := fleettest.Inventory(t, t.TempDir(), "", names...)
	log := &fleettest.Log{}
	rep, err := Run(context.Background(), Options{Inventory: inv, Log: log,
		Dial: func(ctx context.Context, h inventory.Host) (fleet.Conn, error) { return f.Dial(ctx, h.Address) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Storage) != len(names) || !strings.Contains(rep.Storage[1].Err, "Read-only file system") || rep.Storage[1].Host != "s2" {
		t.Errorf("storage: %+v", rep.Storage)
	}
	if c := f.Changing(); len(c) > 0 {
		t.Errorf("doctor changed %q", c)
	}
	if !slices.Equal(log.Phases, []string{"connect and gather facts", "preflight", "storage: sequential fsync writes"}) {
		t.Errorf("phases %q", log.Phases)
	}
}
