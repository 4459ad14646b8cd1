package lock

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// shRunner runs scripts with the local sh, as a host would (without sudo).
type shRunner struct {
	mu    sync.Mutex
	calls []string // the action of each lock.sh call
}

func (s *shRunner) Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error) {
	s.mu.Lock()
	first, _, _ := strings.Cut(cmd.Script, "\n")
	s.calls = append(s.calls, strings.Fields(first)[2])
	s.mu.Unlock()
	c := exec.CommandContext(ctx, "sh", "-c", cmd.Script)
	out, err := c.Output()
	return remote.Result{Stdout: out}, err
}

func (s *shRunner) actions() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.calls, " ")
}

// me is the holder of the runs under test, on this machine.
func me() Holder {
	return Holder{ID: "run2", Command: "up", Operator: "bob@desk", Machine: "m-bob", PID: os.Getpid(), Started: time.Unix(1700000100, 0)}
}

// deadPID is the pid of a process that has ended.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	must(t, cmd.Run())
	return cmd.Process.Pid
}

func holderLease(machine string, pid int, until string) string {
	return "k3sup-pi-lock 1\nid=run1\noperator=ann@laptop\nmachine=" + machine + "\npid=" + itoa(pid) +
		"\ncommand=up\nstarted=1700000000\nboot=b1\nuntil=" + until + "\ngrace=720\n"
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestAcquireHosts runs the lock logic against lock.sh on two fake hosts: the
// second host's lease is in the state under test.
func TestAcquireHosts(t *testing.T) {
	tests := []struct {
		name     string
		lease    string // the second host's lease, "" = none
		wantBusy string // in the *BusyError; "" = acquired
		wantWarn string
	}{
		{"free", "", "", ""},
		{"held by a live holder elsewhere", holderLease("m-ann", 4242, "200"), "h2: held by k3sup-pi up (pid 4242 on ann@laptop, started 2023-11-14 22:13:20 UTC); its lease ends in 1m40s", ""},
		{"held by a live process on this machine", holderLease("m-bob", os.Getpid(), "200"), "h2: held by k3sup-pi up (pid", ""},
		{"expired", holderLease("m-ann", 4242, "50"), "", "h2: took over the expired lock of k3sup-pi up (pid 4242 on ann@laptop"},
		{"same machine, pid gone", holderLease("m-bob", -1, "200"), "", "h2: took over the lock of k3sup-pi up (pid DEAD on ann@laptop, started 2023-11-14 22:13:20 UTC): that process is gone"},
		{"corrupt file", "k3sup-pi-lock 1\nid=\n", "", "h2: replaced a corrupt lock file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roots := []fakeRoot{newFakeRoot(t, "b1", "100.0"), newFakeRoot(t, "b1", "100.0")}
			lease := tt.lease
			if dead := deadPID(t); strings.Contains(lease, "pid=-1\n") {
				lease = strings.Replace(lease, "pid=-1\n", "pid="+itoa(dead)+"\n", 1)
				tt.wantWarn = strings.Replace(tt.wantWarn, "DEAD", itoa(dead), 1)
			}
			if lease != "" {
				must(t, os.WriteFile(roots[1].lease(), []byte(lease), 0o644))
			}
			var warns []string
			hosts := []Host{{Name: "h1", Conn: &shRunner{}}, {Name: "h2", Conn: &shRunner{}}}
			o := HostOptions{Holder: me(), Warn: func(s string) { warns = append(warns, s) }}
			leases, err := acquireIn(t, hosts, roots, o)
			var busy *BusyError
			if tt.wantBusy != "" {
				if !errors.As(err, &busy) || !strings.Contains(err.Error(), tt.wantBusy) {
					t.Fatalf("err %v, want busy %q", err, tt.wantBusy)
				}
				checkLease(t, roots[0], "") // nothing written on the free host
				checkLease(t, roots[1], "run1")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(warns, "\n"); !strings.Contains(got, tt.wantWarn) || (tt.wantWarn == "") != (got == "") {
				t.Errorf("warnings %q, want %q", got, tt.wantWarn)
			}
			checkLease(t, roots[0], "run2")
			checkLease(t, roots[1], "run2")
			for _, l := range leases {
				l.Release()
			}
			checkLease(t, roots[0], "")
			checkLease(t, roots[1], "")
		})
	}
}

// acquireIn runs AcquireHosts with each host's lock.sh on its own fake root.
func acquireIn(t *testing.T, hosts []Host, roots []fakeRoot, o HostOptions) ([]*Lease, error) {
	t.Helper()
	for i := range hosts {
		hosts[i].Conn = rootedRunner{hosts[i].Conn, roots[i]}
	}
	leases, _, err := AcquireHosts(context.Background(), hosts, o)
	return leases, err
}

// rootedRunner points lock.sh at a fake root: it rewrites the DIR and PROC
// arguments the options put in.
type rootedRunner struct {
	Runner
	root fakeRoot
}

func (r rootedRunner) Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error) {
	cmd.Script = strings.Replace(cmd.Script, " /var/lib /run /proc ", " "+remote.ShellQuote(r.root.dir)+" "+remote.ShellQuote(r.root.run)+" "+remote.ShellQuote(r.root.proc)+" ", 1)
	return r.Runner.Run(ctx, cmd)
}

// TestAcquireHostsWaits: a run with Wait polls until the holder releases,
// then takes the lock and says it waited.
func TestAcquireHostsWaits(t *testing.T) {
	root := newFakeRoot(t, "b1", "100.0")
	must(t, os.WriteFile(root.lease(), []byte(holderLease("m-ann", 4242, "200")), 0o644))
	released := make(chan struct{})
	o := HostOptions{Holder: me(), Wait: 30 * time.Second, Poll: 20 * time.Millisecond,
		Warn: func(s string) {
			if strings.Contains(s, "waiting up to 30s") {
				_ = os.Remove(root.lease()) // the other run ends
				close(released)
			}
		}}
	hosts := []Host{{Name: "h1", Conn: rootedRunner{&shRunner{}, root}}}
	leases, waited, err := AcquireHosts(context.Background(), hosts, o)
	if err != nil || !waited || len(leases) != 1 {
		t.Fatalf("leases %d waited %v err %v", len(leases), waited, err)
	}
	<-released
	checkLease(t, root, "run2")
	leases[0].Release()
	checkLease(t, root, "")
}

// TestAcquireHostsRefusesAfterWait: the holder stays; the error says how
// long this run waited.
func TestAcquireHostsRefusesAfterWait(t *testing.T) {
	root := newFakeRoot(t, "b1", "100.0")
	must(t, os.WriteFile(root.lease(), []byte(holderLease("m-ann", 4242, "200")), 0o644))
	o := HostOptions{Holder: me(), Wait: 100 * time.Millisecond, Poll: 20 * time.Millisecond}
	_, waited, err := AcquireHosts(context.Background(), []Host{{Name: "h1", Conn: rootedRunner{&shRunner{}, root}}}, o)
	if !waited || err == nil || !strings.Contains(err.Error(), "still holds the lock after waiting 100ms") {
		t.Fatalf("waited %v err %v", waited, err)
	}
	checkLease(t, root, "run1")
}

// TestHeartbeat: the lease is renewed while the run lasts; once another run
// took it over, Err says so and Release leaves the other run's lease alone.
func TestHeartbeat(t *testing.T) {
	root := newFakeRoot(t, "b1", "100.0")
	r := &shRunner{}
	var mu sync.Mutex
	var warns []string
	o := HostOptions{Holder: me(), TTL: time.Second, Warn: func(s string) { mu.Lock(); warns = append(warns, s); mu.Unlock() }}
	leases, _, err := AcquireHosts(context.Background(), []Host{{Name: "h1", Conn: rootedRunner{r, root}}}, o)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(r.actions(), "renew") })
	// Another run took the lease over (this one could not renew it in time),
	// under the mutex lock.sh takes, so a renewal in flight cannot undo it.
	d, err := os.Open(root.dir)
	must(t, err)
	must(t, syscall.Flock(int(d.Fd()), syscall.LOCK_EX))
	must(t, os.WriteFile(root.lease(), []byte(holderLease("m-ann", 4242, "900")), 0o644))
	must(t, d.Close())
	waitFor(t, func() bool { return leases[0].Err() != nil })
	var lost *LostError
	if !errors.As(leases[0].Err(), &lost) || !strings.Contains(lost.Error(), "h1: this run's lock was taken over by k3sup-pi up (pid 4242 on ann@laptop") {
		t.Errorf("Err %v", leases[0].Err())
	}
	leases[0].Release()
	checkLease(t, root, "run1")
	mu.Lock()
	defer mu.Unlock()
	if len(warns) != 1 || warns[0] != lost.Error() {
		t.Errorf("warnings %q", warns)
	}
}

// waitFor polls cond until it holds or 10 seconds have passed.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
