package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"github.com/k3sup-pi/k3sup-pi/internal/ui"
)

// lockedBuffer is a buffer written by the signal goroutine, read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestInterruptible: the first SIGINT asks the run to stop (the context
// itself stays alive for the running steps) and says so; the second exits
// 130 at once.
func TestInterruptible(t *testing.T) {
	var out lockedBuffer
	exited := make(chan int, 1)
	ctx, stop := interruptible(&out, func(code int) { exited <- code })
	defer stop()
	if fleet.Stopped(ctx) != nil {
		t.Fatal("stopped before any signal")
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fleet.Stopped(ctx) == nil {
		if time.Now().After(deadline) {
			t.Fatal("the first SIGINT did not stop the run")
		}
		time.Sleep(time.Millisecond)
	}
	if ctx.Err() != nil {
		t.Error("the first SIGINT cancelled the running steps' context")
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != exitInterrupted {
			t.Errorf("exit %d, want %d", code, exitInterrupted)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second SIGINT did not exit")
	}
	wantInOrder(t, out.String(), "interrupt: starting nothing new, letting the running steps end (Ctrl-C again stops at once)",
		"interrupt: stopped at once")
}

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

// TestUpInterruptedCommand: Ctrl-C during the first of three agent batches:
// the batch ends, the summary shows what was done, the last line names the
// hosts not started, the locks are released and up exits 130.
func TestUpInterruptedCommand(t *testing.T) {
	f := newFleet(t)
	for _, a := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"} {
		f.host(a, "pi4-bookworm-arm64.txt")
	}
	stopCtx, stop := context.WithCancel(context.Background())
	var once sync.Once
	var atStop int
	after := func() {
		if f.Ran("10.0.0.2: install k3s agent") {
			once.Do(func() { atStop = len(f.Events()); stop() })
		}
	}
	dial := func(i *inventory.Inventory, g *globalOptions, p *ui.Printer) fleet.Dialer {
		d := f.dial(i, g, p)
		return func(ctx context.Context, h inventory.Host) (fleet.Conn, error) {
			c, err := d(ctx, h)
			if err != nil {
				return nil, err
			}
			return afterRun{Conn: c, after: after}, nil
		}
	}
	inv := writeInventory(t, "cluster:\n  k3s_version: v1.31.4+k3s1\n  batch_size: 1\nhosts:\n"+
		"  - {address: 10.0.0.1, role: server, hostname: pi-1}\n  - {address: 10.0.0.2, hostname: pi-2}\n"+
		"  - {address: 10.0.0.3, hostname: pi-3}\n  - {address: 10.0.0.4, hostname: pi-4}\n")
	io := newTestIO("", false)
	code := run(fleet.WithStop(context.Background(), stopCtx), []string{"up", "-i", inv}, &factory{IO: io.ioStreams, Dial: dial})
	if code != exitInterrupted {
		t.Errorf("exit %d, want %d\n%s", code, exitInterrupted, io.err)
	}
	wantInOrder(t, io.err.String(), "==> agents", "HOST  ROLE    NODE  CHANGES", "pi-2  agent   pi-2  ", "pi-3  agent   pi-3  ",
		"error: interrupted: 2 hosts not started: pi-3, pi-4\n")
	if atStop == 0 {
		t.Fatal("never stopped")
	}
	for _, e := range f.Events()[atStop:] {
		if e.Changing && e.Host != "10.0.0.2" && !strings.Contains(e.What, "lock") {
			t.Errorf("changed after the stop: %s", e)
		}
	}
	for _, a := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"} {
		if !f.Ran(a + ": lock release") {
			t.Errorf("%s: the run lock was not released", a)
		}
	}
	if strings.Contains(io.err.String(), "==> ready") {
		t.Errorf("a phase started after the stop:\n%s", io.err)
	}
}
