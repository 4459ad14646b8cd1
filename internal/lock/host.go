package lock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// DefaultTTL is how long a host lease lives without a renewal.
const DefaultTTL = 2 * time.Minute

// HostOptions drive the host leases of one run.
type HostOptions struct {
	Holder Holder
	Wait   time.Duration // how long to wait for hosts another run holds; 0 = refuse at once
	TTL    time.Duration // lease life without a renewal; 0 = DefaultTTL
	Grace  time.Duration // how long a lease outlives a reboot of its host (the reboot timeout); the TTL is added
	Limit  int           // hosts handled at a time; 0 = 30
	Warn   func(string)  // recoveries and lost leases
	Dir    string        // where the lease lives; "" = /var/lib (tests use a temp dir)
	RunDir string        // a tmpfs every boot empties; "" = /run (tests use a temp dir)
	Proc   string        // the proc file system; "" = /proc (tests use a fake)
	Poll   time.Duration // how often to look again while waiting; 0 = 2s
}

func (o *HostOptions) ttl() time.Duration  { return or(o.TTL, DefaultTTL) }
func (o *HostOptions) poll() time.Duration { return or(o.Poll, 2*time.Second) }
func (o *HostOptions) dir() string         { return orS(o.Dir, "/var/lib") }
func (o *HostOptions) proc() string        { return orS(o.Proc, "/proc") }
func (o *HostOptions) run() string         { return orS(o.RunDir, "/run") }

func (o *HostOptions) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}

func or(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func orS(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// AcquireHosts takes a lease on every host, all or none. Held hosts are
// looked at again until o.Wait has passed; then the run is refused with a
// *BusyError naming each holder, and nothing was written anywhere (a lease
// won on some hosts in a race is given back). waited reports whether it had
// to wait: the other run may have changed the hosts meanwhile.
func AcquireHosts(ctx context.Context, hosts []Host, o HostOptions) (leases []*Lease, waited bool, err error) {
	deadline := time.Now().Add(o.Wait)
	for {
		busy, steal, err := o.probeAll(ctx, hosts)
		if err != nil {
			return nil, waited, err
		}
		if len(busy) == 0 {
			leases, busy, err = o.acquireAll(ctx, hosts, steal)
			if err != nil || len(busy) == 0 {
				return leases, waited, err
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, waited, &BusyError{Holders: busy, Waited: o.Wait}
		}
		if !waited {
			o.warn("%s holds the lock of %d hosts (%s first); waiting up to %s", busy[0].Holder, len(busy), busy[0].Where, o.Wait.Round(time.Second))
		}
		waited = true
		if err := sleep(ctx, min(o.poll(), left)); err != nil {
			return nil, waited, err
		}
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// each runs fn on every host, at most o.Limit at a time.
func (o *HostOptions) each(ctx context.Context, hosts []Host, fn func(i int, h Host) error) error {
	var g errgroup.Group
	limit := o.Limit
	if limit <= 0 {
		limit = 30
	}
	g.SetLimit(limit)
	errs := make([]error, len(hosts))
	for i, h := range hosts {
		g.Go(func() error { errs[i] = fn(i, h); return nil })
	}
	_ = g.Wait()
	return errors.Join(errs...)
}

// probeAll looks at every lease without writing: the live ones of other runs
// are busy, except those whose holder ran on this machine and whose pid is
// gone: their ids go to steal.
func (o *HostOptions) probeAll(ctx context.Context, hosts []Host) ([]Busy, map[string]string, error) {
	busy := make([]*Busy, len(hosts))
	steal := make([]string, len(hosts))
	err := o.each(ctx, hosts, func(i int, h Host) error {
		r, err := o.call(ctx, h, "probe", "")
		if err != nil || r.status != "live" {
			return err
		}
		if r.holder.sameMachine(o.Holder) && !pidAlive(r.holder.PID) {
			steal[i] = r.holder.ID
			return nil
		}
		busy[i] = &Busy{Where: h.Name, Holder: r.holder, Left: r.left}
		return nil
	})
	stolen := map[string]string{}
	for i, id := range steal {
		if id != "" {
			stolen[hosts[i].Name] = id
		}
	}
	return compact(busy), stolen, err
}

func compact(in []*Busy) []Busy {
	var out []Busy
	for _, b := range in {
		if b != nil {
			out = append(out, *b)
		}
	}
	return out
}

// acquireAll writes this run's lease on every host. When a host turned out
// busy or failed, the leases won are given back.
func (o *HostOptions) acquireAll(ctx context.Context, hosts []Host, steal map[string]string) ([]*Lease, []Busy, error) {
	leases := make([]*Lease, len(hosts))
	busy := make([]*Busy, len(hosts))
	err := o.each(ctx, hosts, func(i int, h Host) error {
		r, err := o.call(ctx, h, "acquire", steal[h.Name])
		if err != nil {
			return err
		}
		if r.status == "held" {
			busy[i] = &Busy{Where: h.Name, Holder: r.holder, Left: r.left}
			return nil
		}
		o.reportRecovery(h.Name, r)
		leases[i] = &Lease{host: h, o: o}
		return nil
	})
	if err != nil || len(compact(busy)) > 0 {
		for _, l := range leases {
			if l != nil {
				l.release()
			}
		}
		return nil, compact(busy), err
	}
	for _, l := range leases {
		l.start()
	}
	return leases, nil, nil
}

// reportRecovery says when a lease was taken over from a run that is gone.
func (o *HostOptions) reportRecovery(host string, r reply) {
	switch r.status {
	case "recovered-dead":
		o.warn("%s: took over the lock of %s: that process is gone (killed?)", host, r.holder)
	case "recovered-expired":
		o.warn("%s: took over the expired lock of %s: it was not renewed for %s (the run was killed or lost its connection)",
			host, r.holder, o.ttl())
	case "recovered-corrupt":
		o.warn("%s: replaced a corrupt lock file %s/k3sup-pi.lock", host, strings.TrimSuffix(o.dir(), "/"))
	}
}

// Lease is this run's lock on one host, renewed by a heartbeat until Release.
type Lease struct {
	host Host
	o    *HostOptions
	stop chan struct{}
	done chan struct{}
	once sync.Once
	mu   sync.Mutex
	lost error
}

// Err is a *LostError once another run took the lease over, else nil.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

func (l *Lease) start() {
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go l.heartbeat()
}

// heartbeat renews the lease every TTL/4. Failed renewals (the host is
// rebooting, the network is down) are tried again; a lease found in another
// run's hands is lost for good.
func (l *Lease) heartbeat() {
	defer close(l.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-l.stop; cancel() }()
	t := time.NewTicker(l.o.ttl() / 4)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		r, err := l.o.call(ctx, l.host, "renew", "")
		if err != nil || r.status != "lost" {
			continue
		}
		l.mu.Lock()
		l.lost = &LostError{Host: l.host.Name, Holder: r.holder, TTL: l.o.ttl()}
		l.mu.Unlock()
		l.o.warn("%v", l.lost)
		return
	}
}

// Release stops the heartbeat and removes the lease when it is still this
// run's. It is safe to call more than once; a lease that cannot be removed
// (the host is gone) ends by itself after the TTL.
func (l *Lease) Release() {
	l.once.Do(func() {
		if l.stop != nil {
			close(l.stop)
			<-l.done
		}
		if l.Err() == nil {
			l.release()
		}
	})
}

func (l *Lease) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := l.o.call(ctx, l.host, "release", ""); err != nil {
		l.o.warn("could not remove this run's lock (it ends by itself within %s): %v", l.o.ttl(), err)
	}
}
