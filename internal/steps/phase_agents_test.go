package steps

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestAgentFailures: agents that fail their install or are not Ready in time
// are each named with why; cluster.max_failures (a count or a percentage of
// the agents) decides whether later batches start; the run fails whenever an
// agent failed; a re-run once they are fixed converges and installs nothing
// on the agents that finished.
func TestAgentFailures(t *testing.T) {
	agents := []string{"a1", "a2", "a3", "a4", "a5", "a6"} // batch_size 2: [a1 a2] [a3 a4] [a5 a6]
	tests := []struct {
		name       string
		max        string // cluster.max_failures, "" = not set
		failing    []string
		notReady   []string
		notStarted []string // agents of the batches never started
	}{
		{"default: the first failed batch stops", "", []string{"a1"}, nil, []string{"a3", "a4", "a5", "a6"}},
		{"one install failure allowed by a count", "1", []string{"a1"}, nil, nil},
		{"two failures in one batch, two allowed", "2", []string{"a1"}, []string{"a2"}, nil},
		{"two failures in one batch, one allowed", "1", []string{"a1"}, []string{"a2"}, []string{"a3", "a4", "a5", "a6"}},
		{"failures over two batches pass the count", "1", []string{"a1", "a3"}, nil, []string{"a5", "a6"}},
		{"a percentage under the limit (34% of 6 = 2)", "34%", []string{"a1"}, []string{"a2"}, nil},
		{"a percentage over the limit (33% of 6 = 1)", "33%", []string{"a1"}, []string{"a2"}, []string{"a3", "a4", "a5", "a6"}},
		{"a not-Ready agent in the last batch", "", nil, []string{"a6"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFleet(t, "", append([]string{"s1"}, agents...)...)
			f.config = "  ready_timeout: 1s\n"
			if tt.max != "" {
				f.config += "  max_failures: \"" + tt.max + "\"\n"
			}
			for _, a := range tt.failing {
				f.Host(a).Fail = map[string]string{"INSTALL_K3S_EXEC=agent": "curl: (7) Failed to connect"}
			}
			for _, a := range tt.notReady {
				f.AddNode(a, "")
				f.NotReady(a, 1<<20)
			}
			err := f.upErr(Options{}, "")
			var af *AgentsFailedError
			if !errors.As(err, &af) {
				t.Fatalf("err = %v, want an *AgentsFailedError", err)
			}
			msg := err.Error()
			for _, a := range tt.failing {
				if !strings.Contains(msg, "Failed to connect") || strings.Count(msg, a+": ") != 1 {
					t.Errorf("install failure of %s not named once with why in:\n%s", a, msg)
				}
			}
			for _, a := range tt.notReady {
				if !strings.Contains(msg, a+": node "+a+" not Ready after 1s (NotReady)") {
					t.Errorf("%s not named as not Ready in:\n%s", a, msg)
				}
			}
			if got := strings.Contains(msg, "later batches not started"); got != (len(tt.notStarted) > 0) {
				t.Errorf("later batches reported not started: %v, want %v:\n%s", got, len(tt.notStarted) > 0, msg)
			}
			started := map[string]bool{}
			for _, a := range agents {
				started[a] = f.Host(a).Fact("config_hash") != ""
			}
			for _, a := range tt.notStarted {
				if started[a] {
					t.Errorf("%s was started although more agents failed than allowed", a)
				}
				delete(started, a)
			}
			for a, ok := range started {
				if !ok {
					t.Errorf("%s was not started", a)
				}
			}
			for _, a := range tt.failing {
				f.Host(a).Fail = nil
			}
			for _, a := range tt.notReady {
				f.NotReady(a, 0)
			}
			f.Reset()
			f.up(Options{})
			for _, h := range f.ChangedHosts() {
				if !slices.Contains(tt.failing, h) && !slices.Contains(tt.notReady, h) && !slices.Contains(tt.notStarted, h) {
					t.Errorf("the re-run changed %s, which had finished", h)
				}
			}
			f.Reset()
			f.up(Options{})
			if c := f.changing(); len(c) > 0 {
				t.Errorf("a third run changed %q", c)
			}
		})
	}
}
