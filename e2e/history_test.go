//go:build e2e

package e2e

import (
	"encoding/json"
	"testing"
	"time"
)

// event is one entry of the stand-in's per-node history annotation.
type event struct {
	Event   string    `json:"event"`
	Time    time.Time `json:"time"`
	Version string    `json:"version"`
}

// history decodes a node's standin.k3s.io/history annotation.
func history(t *testing.T, n kubeNode) []event {
	t.Helper()
	var h []event
	if err := json.Unmarshal([]byte(n.Metadata.Annotations["standin.k3s.io/history"]), &h); err != nil {
		t.Fatalf("node %s history: %v", n.Metadata.Name, err)
	}
	return h
}

// firstEvent is the time of the node's first event of a kind (and version, when
// given); the zero time when there is none.
func firstEvent(t *testing.T, n kubeNode, kind, version string) time.Time {
	for _, e := range history(t, n) {
		if e.Event == kind && (version == "" || e.Version == version) {
			return e.Time
		}
	}
	return time.Time{}
}

// readyIntervals returns, per node, the intervals in which it was Ready.
type interval struct{ from, to time.Time }

func readyIntervals(t *testing.T, n kubeNode, end time.Time) []interval {
	var out []interval
	var open *time.Time
	for _, e := range history(t, n) {
		switch e.Event {
		case "ready":
			if open == nil {
				tm := e.Time
				open = &tm
			}
		case "notready", "restarted", "deleted":
			if open != nil {
				out = append(out, interval{*open, e.Time})
				open = nil
			}
		}
	}
	if open != nil {
		out = append(out, interval{*open, end})
	}
	return out
}

// readyAt reports whether the node was Ready at time tm.
func readyAt(iv []interval, tm time.Time) bool {
	for _, i := range iv {
		if !tm.Before(i.from) && tm.Before(i.to) {
			return true
		}
	}
	return false
}
