package steps

import (
	"strings"
	"testing"
)

// TestReadyPhase: a node the run did not change (its k3s runs) but that is
// not Ready is waited for, and named when it stays NotReady; on a healthy
// cluster the phase is one read and is not logged.
func TestReadyPhase(t *testing.T) {
	tests := []struct {
		name     string
		notReady int
		wantErr  string
	}{
		{"all Ready: one read, no phase", 0, ""},
		{"a1 Ready on the third read", 2, ""},
		{"a1 never Ready", 1 << 30, "every node Ready: nodes not Ready after 2s: a1 (NotReady)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFleet(t, "  ready_timeout: 2s\n", "s1", "a1")
			f.up(Options{})
			f.NotReady("a1", tt.notReady)
			f.Reset()
			err := f.upErr(Options{}, "")
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("up = %v, want %q", err, tt.wantErr)
			}
			if c := f.changing(); len(c) > 0 {
				t.Errorf("changed %q", c)
			}
			reads := 0
			for _, l := range f.lines() {
				if strings.HasSuffix(l, "kubectl get nodes -o json") {
					reads++
				}
			}
			// plan (the versions: the first NotReady read), the ready phase's
			// selection and its waits, the labels' selection
			if want := 3 + max(tt.notReady-1, 0); tt.wantErr == "" && reads != want {
				t.Errorf("%d reads of the nodes, want %d", reads, want)
			}
		})
	}
}
