package lock

import (
	"fmt"
	"time"
)

// Busy is one lock another run holds.
type Busy struct {
	Where  string // a host name, or "inventory PATH"
	Holder Holder
	Left   time.Duration // a host lease's time left unless renewed; 0 for the local lock
}

// BusyError refuses a run because another run holds a lock it needs. Nothing
// was changed on any host.
type BusyError struct {
	Holders []Busy
	Waited  time.Duration // how long this run waited first (--lock-wait)
}

// Error names every holder and what to do.
func (e *BusyError) Error() string {
	msg := "another k3sup-pi run holds the lock; nothing was changed:"
	if e.Waited > 0 {
		msg = fmt.Sprintf("another k3sup-pi run still holds the lock after waiting %s; nothing was changed:", e.Waited.Round(time.Millisecond))
	}
	for _, b := range e.Holders {
		msg += fmt.Sprintf("\n  %s: held by %s", b.Where, b.Holder)
		if b.Left > 0 {
			msg += fmt.Sprintf("; its lease ends in %s unless that run renews it", b.Left)
		}
	}
	return msg + "\n  wait for that run to finish, or pass --lock-wait DURATION (like 10m) to wait for it"
}

// LostError is returned for every command on a host whose lease another run
// took over while this run could not renew it.
type LostError struct {
	Host   string
	Holder Holder // the new holder, when known
	TTL    time.Duration
}

// Error says what happened and why the run stopped there.
func (e *LostError) Error() string {
	by := "another run"
	if e.Holder.ID != "" {
		by = e.Holder.String()
	}
	return fmt.Sprintf("%s: this run's lock was taken over by %s after it could not be renewed for more than %s; "+
		"stopped here so that two runs do not interleave", e.Host, by, e.TTL)
}
