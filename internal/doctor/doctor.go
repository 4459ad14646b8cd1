// Package doctor checks a fleet without changing it: up's preflight, and
// each host's storage speed for k3s's data (sequential fsync writes, what
// etcd needs).
package doctor

import (
	"context"
	_ "embed" // fsync.sh
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
)

// etcd's storage needs, in sequential fsync'd writes per second.
const (
	etcdMinIOPS     = 50  // below this etcd misses heartbeats and leaders flap
	etcdAdvisedIOPS = 500 // what etcd advises for busy clusters
)

// fsyncWrites and fsyncSeconds bound the measurement: at most fsyncWrites
// writes of 4 KiB, and never longer than fsyncSeconds (a slow SD card stops at
// the deadline and is counted by the bytes it managed).
const (
	fsyncWrites  = 200
	fsyncSeconds = 5
	fsyncBlock   = 4096
)

// defaultDataDir is k3s's data dir unless the config sets data-dir.
const defaultDataDir = "/var/lib/rancher/k3s"

// Report is what `doctor` found: the preflight findings (host checks and
// reachability) and each host's storage speed.
type Report struct {
	Findings []preflight.Finding
	Storage  []Storage
}

// Storage is the fsync measurement of one host's k3s data dir.
type Storage struct {
	Host    string    // inventory name
	Role    role.Role // server or agent
	DataDir string    // the dir measured: the data dir or its nearest existing parent
	Device  string    // the device behind it, as df reports it
	Writes  int       // 4 KiB writes completed, each synced (O_DSYNC)
	Seconds float64   // how long they took
	IOPS    float64   // Writes / Seconds; 0 when unknown
	Etcd    bool      // the host keeps embedded etcd data there
	Verdict string    // what the figure means for this host
	Warn    bool      // the figure is too low for what the host runs
	Err     string    // why there is no figure, "" when measured
}

// Options drive one `doctor` run.
type Options struct {
	Inventory      *inventory.Inventory
	Dial           fleet.Dialer
	Log            fleet.Logger
	AllowLowMemory bool // servers under 2 GB only warned
}

// Run runs the preflight checks of `up --preflight-only` (changing nothing),
// then measures every host's sequential fsync write IOPS on its k3s data
// dir. The storage figures come back even when preflight refuses.
func Run(ctx context.Context, opt Options) (*Report, error) {
	inv := opt.Inventory
	opt.Log.Phase("connect and gather facts")
	nodes, err := fleet.Connect(ctx, inv.Hosts, opt.Dial, inv.Cluster.Concurrency)
	if err != nil {
		return nil, err
	}
	defer fleet.CloseAll(nodes)
	var servers []*fleet.Node
	for _, n := range nodes {
		if n.Host.Role == role.Server {
			servers = append(servers, n)
		}
	}
	opt.Log.Phase("preflight")
	findings, err := steps.Preflight(ctx, steps.PreflightInput{Inventory: inv, Nodes: nodes, Servers: servers,
		AllowLowMemory: opt.AllowLowMemory, Log: opt.Log})
	rep := &Report{Findings: findings}
	perr := fleet.RunPhases(ctx, opt.Log, fleet.Phase{Title: "storage: sequential fsync writes",
		Select: func(context.Context) ([]*fleet.Node, error) { return nodes, nil },
		Run: func(ctx context.Context, nodes []*fleet.Node) error {
			rep.Storage = measureStorage(ctx, opt, nodes)
			return nil
		}})
	if perr != nil { // measureStorage reports per host; RunPhases fails only on a cancelled run
		return rep, errors.Join(err, perr)
	}
	return rep, err
}

// measureStorage measures every touched host in parallel: each host has its
// own disk, and a sequential run would take seconds per host.
func measureStorage(ctx context.Context, opt Options, nodes []*fleet.Node) []Storage {
	out := make([]Storage, len(nodes))
	index := make(map[*fleet.Node]int, len(nodes))
	for i, n := range nodes {
		index[n] = i
	}
	_ = fleet.ForEach(ctx, nodes, opt.Inventory.Cluster.Concurrency, func(ctx context.Context, n *fleet.Node) error {
		s := measure(ctx, opt.Inventory, n)
		if s.Warn {
			opt.Log.Warnf("%s: %s", s.Host, s.Verdict)
		}
		out[index[n]] = s
		return nil
	})
	return out
}

// measure runs the fsync measurement on one host and judges it.
func measure(ctx context.Context, inv *inventory.Inventory, n *fleet.Node) Storage {
	etcd := n.Host.Role == role.Server && inv.EmbeddedEtcd()
	res, err := n.Conn.Run(ctx, fsyncCmd(dataDir(inv, n)))
	var s Storage
	switch {
	case err != nil:
		s.Err = fmt.Sprintf("measure fsync on %s: %v", n.Host.Name(), err)
	case res.ExitCode != 0:
		s.Err = fmt.Sprintf("the measurement exited %d: %s", res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	default:
		s = parseFsync(string(res.Stdout))
	}
	s.Host, s.Role, s.Etcd = n.Host.Name(), n.Host.Role, etcd
	s.Verdict, s.Warn = verdict(s)
	return s
}

// dataDir is the k3s data dir of a node: data-dir from the inventory's server
// or agent config, else k3s's default.
func dataDir(inv *inventory.Inventory, n *fleet.Node) string {
	cfg := inv.Cluster.AgentConfig
	if n.Host.Role == role.Server {
		cfg = inv.Cluster.ServerConfig
	}
	if d, ok := cfg["data-dir"].(string); ok && strings.HasPrefix(d, "/") {
		return d
	}
	return defaultDataDir
}

//go:embed fsync.sh
var fsyncSh string

// fsyncCmd runs fsync.sh on a data dir with this file's bounds.
func fsyncCmd(dataDir string) remote.Cmd {
	return remote.Script(fsyncSh, dataDir, strconv.Itoa(fsyncSeconds), strconv.Itoa(fsyncBlock), strconv.Itoa(fsyncWrites)).Root()
}

// parseFsync reads fsyncScript's output. dd stopped by the deadline (exit 124)
// still counts: its file holds the blocks it synced in time.
func parseFsync(out string) Storage {
	kv := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			kv[k] = v
		}
	}
	s := Storage{DataDir: kv["dir"], Device: kv["device"]}
	rc, err := strconv.Atoi(kv["rc"])
	switch {
	case err != nil:
		s.Err = "the measurement printed no result"
		return s
	case rc != 0 && rc != 124:
		s.Err = fmt.Sprintf("dd failed (exit %d): cannot write to %s", rc, s.DataDir)
		return s
	}
	bytes, err1 := strconv.ParseInt(kv["bytes"], 10, 64)
	start, err2 := strconv.ParseInt(kv["start"], 10, 64)
	end, err3 := strconv.ParseInt(kv["end"], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || end <= start {
		s.Err = "no usable timing (does the host's date support %N?)"
		return s
	}
	s.Writes = int(bytes / fsyncBlock)
	s.Seconds = float64(end-start) / 1e9
	if s.Writes == 0 {
		s.Err = fmt.Sprintf("no write completed in %.1fs", s.Seconds)
		return s
	}
	s.IOPS = float64(s.Writes) / s.Seconds
	return s
}

// verdict says what a figure means for the host: only embedded etcd has hard
// needs (50 IOPS, 500 advised); agents and servers without etcd are fine.
func verdict(s Storage) (string, bool) {
	switch {
	case s.Err != "":
		return "unknown: " + s.Err, false
	case !s.Etcd:
		return "ok", false
	case s.IOPS < etcdMinIOPS:
		return fmt.Sprintf("too slow for embedded etcd (needs %d, advises %d): move the data dir to an SSD or use an external datastore", etcdMinIOPS, etcdAdvisedIOPS), true
	case s.IOPS < etcdAdvisedIOPS:
		return fmt.Sprintf("ok for etcd (%d advised on busy clusters)", etcdAdvisedIOPS), false
	}
	return "ok for etcd", false
}
