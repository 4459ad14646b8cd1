package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/ui"
)

// testFleet is the fake fleet a command test's dialer reaches
// (internal/fleettest), with the events the test expects: one never
// recorded fails the test (as the GitHub CLI's httpmock registry does), so a
// test cannot pass without the command it sets up having run.
type testFleet struct {
	*fleettest.Fleet
	t      *testing.T
	expect []string
}

// newFleet starts a fleet without hosts; add them with host.
func newFleet(t *testing.T) *testFleet {
	f := &testFleet{Fleet: fleettest.New(t), t: t}
	t.Cleanup(func() {
		missing := false
		for _, e := range f.expect {
			if !f.Ran(e) {
				t.Errorf("expected event never recorded: %q", e)
				missing = true
			}
		}
		if missing {
			t.Logf("events recorded: %q", f.Events())
		}
	})
	return f
}

// host adds a host at addr with the facts of fixture (a file in
// internal/facts/testdata), its hostname set to addr's last word, and each
// edit ("key=value") replacing that fact, which the fixture must have.
func (f *testFleet) host(addr, fixture string, edits ...string) *fleettest.Host {
	f.t.Helper()
	text := fleettest.Fixture(f.t, fixture)
	h := f.Add(addr, text)
	edits = append([]string{"hostname=pi-" + addr[strings.LastIndex(addr, ".")+1:]}, edits...)
	for _, e := range edits {
		key, value, _ := strings.Cut(e, "=")
		if !regexp.MustCompile("(?m)^" + regexp.QuoteMeta(key) + "=").MatchString(text) {
			f.t.Fatalf("%s has no fact %s", fixture, key)
		}
		h.Set(key, value)
	}
	return h
}

// expects adds events ("host: what") the test fails without.
func (f *testFleet) expects(events ...string) *testFleet {
	f.expect = append(f.expect, events...)
	return f
}

// dial is the dialFunc on the fleet: it ignores the SSH settings.
func (f *testFleet) dial(*inventory.Inventory, *globalOptions, *ui.Printer) fleet.Dialer {
	return func(ctx context.Context, h inventory.Host) (fleet.Conn, error) {
		c, err := f.Dial(ctx, h.Address)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// unchanged fails the test if a host was written to, uploaded to, rebooted,
// or ran a command that changed it or the cluster.
func (f *testFleet) unchanged() {
	f.t.Helper()
	for _, e := range f.Events() {
		if e.Changing || e.Kind != fleettest.KindRun {
			f.t.Errorf("a host changed: %s (%.200q)", e, e.Script)
		}
	}
}

// wantChanged fails unless exactly hosts (space-separated, sorted; "" for
// none) changed; with none, it also checks nothing but reads ran.
func (f *testFleet) wantChanged(t *testing.T, hosts string) {
	t.Helper()
	if got := strings.Join(f.ChangedHosts(), " "); got != hosts {
		t.Errorf("changed hosts %q, want %q", got, hosts)
	}
	if hosts == "" {
		f.unchanged()
	}
}

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

// runWith runs one command line with io and hosts (nil: every dial fails).
func runWith(t *testing.T, io testIO, hosts *testFleet, args ...string) int {
	t.Helper()
	dial := func(*inventory.Inventory, *globalOptions, *ui.Printer) fleet.Dialer {
		return func(_ context.Context, h inventory.Host) (fleet.Conn, error) {
			t.Errorf("dialled %s", h.Address)
			return nil, fmt.Errorf("no fleet")
		}
	}
	if hosts != nil {
		dial = hosts.dial
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

// runChecked runs `command -i INVENTORY args...` (the inventory is twoPis)
// with io on the fleet newFleet makes (nil: no host may be dialled), checks
// the exit code and that stderr holds want in this order, and returns the
// fleet (nil without one).
func runChecked(t *testing.T, newFleet func(*testing.T) *testFleet, io testIO, command string, args []string, code int, want []string) *testFleet {
	t.Helper()
	var fleet *testFleet
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

// wantNoStdout fails when anything went to stdout.
func wantNoStdout(t *testing.T, io testIO) {
	t.Helper()
	if io.out.Len() != 0 {
		t.Errorf("stdout carries only data, got:\n%s", io.out)
	}
}
