package fleettest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// Probe is how a host's reachability probe (preflight/probe.sh) answers.
type Probe int

// Probe answers.
const (
	ProbeRefused   Probe = iota // every server refused the connection: the path is open (the default)
	ProbeConnected              // every server accepted the connection
	ProbeSilent                 // the probe printed nothing (no curl on the host, say)
)

// FsyncDefault is what doctor's fsync measurement prints on a host whose
// Fsync is empty: 200 synced writes in 2 s; the file is removed.
const FsyncDefault = "dir=/var/lib/rancher\ndevice=/dev/sda2\nrc=0\nbytes=819200\nstart=1000000000\nend=3000000000\n"

// probeAnswer answers the probe as the host's Probe says.
func probeAnswer(h *Host, cmd remote.Cmd) (string, string, bool, error) {
	var b strings.Builder
	urls := args(cmd)[1:]
	for i := range urls {
		switch h.Probe {
		case ProbeRefused:
			fmt.Fprintf(&b, "%d\t7\tFailed to connect: Connection refused TC=0.000000\n", i)
		case ProbeConnected:
			fmt.Fprintf(&b, "%d\t0\t TC=0.001000\n", i)
		}
	}
	return b.String(), "probe", false, nil
}

// fsyncTest answers doctor's fsync measurement with the host's Fsync.
func fsyncTest(h *Host, _ remote.Cmd) (string, string, bool, error) {
	if h.Fsync == "" {
		return FsyncDefault, "fsync test", false, nil
	}
	return h.Fsync, "fsync test", false, nil
}

// runLock answers the run lock's script (internal/lock/lock.sh) as a host
// that no other run holds: it grants the lease and keeps its holder's id. A
// run's lock is bookkeeping, not a change to the host: its events are not
// changing.
func runLock(h *Host, cmd remote.Cmd) (string, string, bool, error) {
	a := args(cmd)
	if len(a) < 5 {
		return "", "lock", false, fmt.Errorf("%s: fake fleet: lock script with arguments %q", h.addr, a)
	}
	action, id := a[0], a[4]
	status := map[string]string{"probe": "free", "acquire": "acquired", "renew": "renewed", "release": "released"}[action]
	if status == "" {
		return "", "lock " + action, false, fmt.Errorf("%s: fake fleet: unknown lock action %q", h.addr, action)
	}
	if h.lease != "" && h.lease != id && action != "probe" {
		return "", "lock " + action, false, fmt.Errorf("%s: fake fleet: lease held by %s, asked by %s", h.addr, h.lease, id)
	}
	switch action {
	case "acquire", "renew":
		h.lease = id
	case "release":
		h.lease = ""
	}
	return "status=" + status + "\n", "lock " + action, false, nil
}

// Lease is the id of the run that holds the host's lock, "" when free.
func (h *Host) Lease() string {
	h.fleet.mu.Lock()
	defer h.fleet.mu.Unlock()
	return h.lease
}

// AddNode puts a Ready node of version in the cluster with no host of the
// fleet behind it (a board since replaced, or one the inventory forgot).
func (f *Fleet) AddNode(name, version string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.nodes[name] == nil {
		f.nodes[name] = &kubeNode{name: name, labels: map[string]string{}, annotations: map[string]string{}}
	}
	f.nodes[name].version = version
}

// ChangedHosts are the hosts, sorted, with at least one changing event.
func (f *Fleet) ChangedHosts() []string {
	var out []string
	for _, e := range f.Events() {
		if e.Changing && !slices.Contains(out, e.Host) {
			out = append(out, e.Host)
		}
	}
	slices.Sort(out)
	return out
}

// Ran tells whether an event "host: what" was recorded.
func (f *Fleet) Ran(event string) bool {
	return slices.ContainsFunc(f.Events(), func(e Event) bool { return e.String() == event })
}
