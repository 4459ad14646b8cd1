package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"github.com/k3sup-pi/k3sup-pi/internal/steps"
	"github.com/k3sup-pi/k3sup-pi/internal/ui"
)

// stub is one expected command: the first stub whose pattern matches a
// script answers it. A stub never matched fails the test (as the GitHub
// CLI's httpmock registry does), so a test cannot pass without the command
// it expects having been run.
type stub struct {
	host    string         // "" = any host
	pattern *regexp.Regexp // matched against the script
	outs    []string       // stdout of each run in turn; the last one repeats
	exit    int
	used    bool
}

// fakeFleet is the hosts a test's dialer reaches: each serves the facts it
// was given and answers commands from the stubs; every command is logged as
// "host: script". No SSH, no shell.
type fakeFleet struct {
	t      *testing.T
	mu     sync.Mutex
	facts  map[string][]byte // by address
	stubs  []*stub
	log    []string
	dialed []string
	writes []string // "host: path" of every file written
}

// newFakeFleet starts a fleet without hosts; add them with host.
func newFakeFleet(t *testing.T) *fakeFleet {
	f := &fakeFleet{t: t, facts: map[string][]byte{}}
	t.Cleanup(f.verify)
	return f
}

// host adds a host at addr with the facts of fixture (a file in
// internal/facts/testdata), its hostname set to addr's last word, and each
// edit ("key=value") replacing that fact.
func (f *fakeFleet) host(addr, fixture string, edits ...string) *fakeFleet {
	f.t.Helper()
	b, err := os.ReadFile("../../internal/facts/testdata/" + fixture)
	if err != nil {
		f.t.Fatal(err)
	}
	edits = append([]string{"hostname=pi-" + addr[strings.LastIndex(addr, ".")+1:]}, edits...)
	for _, e := range edits {
		key, _, _ := strings.Cut(e, "=")
		re := regexp.MustCompile("(?m)^" + regexp.QuoteMeta(key) + "=.*$")
		if !re.Match(b) {
			f.t.Fatalf("%s has no fact %s", fixture, key)
		}
		b = re.ReplaceAllLiteral(b, []byte(e))
	}
	f.facts[addr] = b
	return f
}

// on registers a stub: a script on host ("" = any) matching pattern prints
// outs[0] the first time, outs[1] the next, and so on; the last one repeats.
func (f *fakeFleet) on(host, pattern string, outs ...string) *fakeFleet {
	f.stubs = append(f.stubs, &stub{host: host, pattern: regexp.MustCompile(pattern), outs: outs})
	return f
}

// failOn registers a stub that exits with code.
func (f *fakeFleet) failOn(host, pattern string, code int) *fakeFleet {
	f.stubs = append(f.stubs, &stub{host: host, pattern: regexp.MustCompile(pattern), exit: code})
	return f
}

func (f *fakeFleet) verify() {
	for _, s := range f.stubs {
		if !s.used {
			f.t.Errorf("expected command never run: %s on %q", s.pattern, s.host)
		}
	}
}

// dial is the fake dialFunc: it ignores the SSH settings.
func (f *fakeFleet) dial(*inventory.Inventory, *globalOptions, *ui.Printer) steps.Dialer {
	return func(_ context.Context, h inventory.Host) (steps.Conn, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.dialed = append(f.dialed, h.Address)
		if _, ok := f.facts[h.Address]; !ok {
			// named as remote.Dial names it: the layer that knows the host
			return nil, fmt.Errorf("%s: connect %s:22: no route to host", h.Address, h.Address)
		}
		return &fakeConn{f: f, host: h.Address}, nil
	}
}

// fakeConn is one connection of a fakeFleet.
type fakeConn struct {
	f    *fakeFleet
	host string
}

func (c *fakeConn) Name() string { return c.host }

func (c *fakeConn) Run(_ context.Context, cmd remote.Cmd) (remote.Result, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, c.host+": "+cmd.Script)
	if strings.Contains(cmd.Script, "k3sup_pi_facts") {
		return remote.Result{Stdout: f.facts[c.host]}, nil
	}
	if m := lockCall.FindStringSubmatch(cmd.Script); m != nil {
		return remote.Result{Stdout: []byte("status=" + lockReplies[m[1]] + "\n")}, nil
	}
	for _, s := range f.stubs {
		if (s.host == "" || s.host == c.host) && s.pattern.MatchString(cmd.Script) {
			s.used = true
			var out string
			if len(s.outs) > 0 {
				out = s.outs[0]
			}
			if len(s.outs) > 1 {
				s.outs = s.outs[1:]
			}
			return remote.Result{Stdout: []byte(out), ExitCode: s.exit}, nil
		}
	}
	return remote.Result{}, nil
}

func (c *fakeConn) WriteFile(_ context.Context, path string, _ []byte, _ fs.FileMode) (bool, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.writes = append(c.f.writes, c.host+": "+path)
	return true, nil
}

func (c *fakeConn) Upload(_ context.Context, _, remotePath string, _ fs.FileMode) (bool, error) {
	return c.WriteFile(context.Background(), remotePath, nil, 0)
}

func (c *fakeConn) Reboot(context.Context, time.Duration) error {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.log = append(c.f.log, c.host+": reboot")
	return nil
}

func (c *fakeConn) Close() error { return nil }

// testIO is a fake ioStreams with its buffers.
type testIO struct {
	*ioStreams
	out, err *bytes.Buffer
}

// newTestIO is stdin with the given text, neither end a terminal unless tty.
func newTestIO(stdin string, tty bool) testIO {
	var out, errb bytes.Buffer
	return testIO{ioStreams: &ioStreams{In: strings.NewReader(stdin), Out: &out, Err: &errb, InTTY: tty, ErrTTY: tty},
		out: &out, err: &errb}
}

// runWith runs one command line with io and fleet (nil: every dial fails).
func runWith(t *testing.T, io testIO, fleet *fakeFleet, args ...string) int {
	t.Helper()
	dial := func(*inventory.Inventory, *globalOptions, *ui.Printer) steps.Dialer {
		return func(_ context.Context, h inventory.Host) (steps.Conn, error) {
			t.Errorf("dialled %s", h.Address)
			return nil, fmt.Errorf("no fleet")
		}
	}
	if fleet != nil {
		dial = fleet.dial
	}
	return run(context.Background(), args, &factory{IO: io.ioStreams, Dial: dial})
}

// writeInventory writes text to inventory.yml in a temporary directory and
// returns its path.
func writeInventory(t *testing.T, text string) string {
	t.Helper()
	path := t.TempDir() + "/inventory.yml"
	writeTestFile(t, path, []byte(text))
	return path
}

// lockCall matches a call of the host lock's script (internal/lock/lock.sh);
// the fake grants every lock, and a run's lock is neither a change nor a read.
var lockCall = regexp.MustCompile(`^set -- (probe|acquire|renew|release) `)

// lockReplies is the status lock.sh prints for each action on a free host.
var lockReplies = map[string]string{"probe": "free", "acquire": "acquired", "renew": "renewed", "release": "released"}

// readOnly matches the log lines of commands that only read: facts, probes,
// reads of files, kubectl get.
var readOnly = regexp.MustCompile(`^[^:]+: (# shellcheck shell=sh\n# k3sup-pi facts:|probe\(\)|for p in |cat |if \[ -e |k3s kubectl get |set -- (probe|acquire|renew|release) )`)

// unchanged fails the test if a host was written to, rebooted, or ran a
// command that is not readOnly.
func (f *fakeFleet) unchanged() {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.writes) > 0 {
		f.t.Errorf("files written: %v", f.writes)
	}
	for _, l := range f.log {
		if !readOnly.MatchString(l) {
			f.t.Errorf("a changing command ran: %.200q", l)
		}
	}
}

// changedHosts are the hosts, sorted, that ran a command that is not
// readOnly or were written to.
func (f *fakeFleet) changedHosts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var hosts []string
	for _, l := range append(slices.Clone(f.log), f.writes...) {
		if !readOnly.MatchString(l) {
			hosts = append(hosts, l[:strings.Index(l, ":")])
		}
	}
	slices.Sort(hosts)
	return slices.Compact(hosts)
}

// runChecked runs `command -i INVENTORY args...` (the inventory is twoPis)
// with io on the fleet newFleet makes (nil: no host may be dialled), checks
// the exit code and that stderr holds want in this order, and returns the
// fleet (nil without one).
func runChecked(t *testing.T, newFleet func(*testing.T) *fakeFleet, io testIO, command string, args []string, code int, want []string) *fakeFleet {
	t.Helper()
	var fleet *fakeFleet
	if newFleet != nil {
		fleet = newFleet(t)
	}
	got := runWith(t, io, fleet, append([]string{command, "-i", writeInventory(t, twoPis)}, args...)...)
	if got != code {
		t.Errorf("exit %d, want %d\n%s", got, code, io.err)
	}
	wantInOrder(t, io.err.String(), want...)
	return fleet
}

// wantChanged fails unless exactly hosts (space-separated, sorted; "" for
// none) changed; with none, it also checks nothing but reads ran.
func (f *fakeFleet) wantChanged(t *testing.T, hosts string) {
	t.Helper()
	if got := strings.Join(f.changedHosts(), " "); got != hosts {
		t.Errorf("changed hosts %q, want %q", got, hosts)
	}
	if hosts == "" {
		f.unchanged()
	}
}

// wantNoStdout fails when anything went to stdout.
func wantNoStdout(t *testing.T, io testIO) {
	t.Helper()
	if io.out.Len() != 0 {
		t.Errorf("stdout carries only data, got:\n%s", io.out)
	}
}
