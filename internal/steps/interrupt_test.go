package steps

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// afterRun is a connection that calls after once each command ran on it.
type afterRun struct {
	fleet.Conn
	after func()
}

func (c afterRun) Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error) {
	res, err := c.Conn.Run(ctx, cmd)
	c.after()
	return res, err
}

// TestUpInterrupted: a Ctrl-C while the first agent batch (a1, a2: batches
// of two) installs lets that batch finish (k3s installed, started and Ready)
// under an uncancelled context, starts no later batch (a3), and says which
// hosts it did not start.
func TestUpInterrupted(t *testing.T) {
	f := newTestFleet(t, "", "s1", "a1", "a2", "a3")
	stopCtx, stop := context.WithCancel(context.Background())
	var mu sync.Mutex
	var atStop int
	stopNow := func() { // once both installs of the first batch ran
		mu.Lock()
		defer mu.Unlock()
		installs := 0
		for _, l := range f.lines() {
			if strings.HasSuffix(l, ": install k3s agent") {
				installs++
			}
		}
		if installs == 2 && atStop == 0 {
			atStop = len(f.Events())
			stop()
		}
	}
	opt := Options{Inventory: f.inventory(), Log: &fleettest.Log{}}
	opt.Dial = func(ctx context.Context, h inventory.Host) (fleet.Conn, error) {
		c, err := f.Dial(ctx, h.Address)
		if err != nil {
			return c, err
		}
		return afterRun{Conn: c, after: stopNow}, nil
	}
	res, err := Up(fleet.WithStop(context.Background(), stopCtx), opt)
	var ie *fleet.InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, fleet.ErrInterrupted) {
		t.Fatalf("up: got %v, want an interrupted error", err)
	}
	if want := []string{"a3"}; !slices.Equal(ie.NotStarted, want) {
		t.Errorf("not started: %q, want %q", ie.NotStarted, want)
	}
	if want := "interrupted: 1 hosts not started: a3"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	if atStop == 0 {
		t.Fatal("the run was never stopped")
	}
	for _, e := range f.Events()[atStop:] {
		if e.Changing && e.Host != "a1" && e.Host != "a2" {
			t.Errorf("after the stop: %s", f.named(e.String()))
		}
	}
	for _, n := range []string{"a1", "a2"} {
		if v := f.Host(n).Fact("k3s_version"); v == "" || f.Host(n).Killed() {
			t.Errorf("%s: the running install did not finish (version %q)", n, v)
		}
	}
	if v := f.Host("a3").Fact("k3s_version"); v != "" {
		t.Errorf("a3: k3s %s installed after the stop", v)
	}
	if res == nil || len(res.Nodes) != 4 {
		t.Fatalf("no result to print the summary from: %+v", res)
	}
}

// TestUpServerDiesBeforeAgents: the first server stops answering once its
// phase read the node-token: the run stops before any agent is touched and
// names the server; with the server back, a re-run joins the agents.
func TestUpServerDiesBeforeAgents(t *testing.T) {
	f := newTestFleet(t, "", "s1", "a1", "a2")
	s1 := f.Host("s1")
	var once sync.Once
	down := errors.New("ssh: connection lost")
	var atDown int
	opt := Options{Inventory: f.inventory(), Log: &fleettest.Log{}}
	opt.Dial = func(ctx context.Context, h inventory.Host) (fleet.Conn, error) {
		c, err := f.Dial(ctx, h.Address)
		if err != nil {
			return nil, err
		}
		return afterRun{Conn: c, after: func() {
			if f.Ran("s1: read /var/lib/rancher/k3s/server/node-token") {
				once.Do(func() { atDown = len(f.Events()); s1.Errs = map[string]error{"kubectl": down} })
			}
		}}, nil
	}
	_, err := Up(context.Background(), opt)
	if err == nil || !strings.Contains(err.Error(), "no agent was touched, the servers must be Ready first") ||
		!strings.Contains(err.Error(), "kubectl get on s1: ssh: connection lost") {
		t.Fatalf("up: got %v, want the server named before any agent\n%s", err, strings.Join(f.lines(), "\n"))
	}
	if atDown == 0 {
		t.Fatal("the server never went down")
	}
	for _, e := range f.Events()[atDown:] {
		if e.Changing && e.Host != "s1" {
			t.Errorf("changed after the server went down: %s", f.named(e.String()))
		}
	}
	s1.Errs = nil
	f.up(Options{})
	for _, a := range []string{"a1", "a2"} {
		if f.Host(a).Fact("k3s_version") == "" {
			t.Errorf("%s: not joined by the re-run", a)
		}
	}
}
