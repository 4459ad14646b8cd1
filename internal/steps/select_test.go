package steps

import (
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
)

// TestTouchOnlyTheNamedHost: add-node on one of two hosts sharing an address
// must not touch the other.
func TestTouchOnlyTheNamedHost(t *testing.T) {
	inv, err := inventory.Parse("inventory.yml", []byte(fleettest.SharedAddress))
	if err != nil {
		t.Fatal(err)
	}
	for _, only := range []string{"pi-b", "10.0.0.1:2223"} {
		t.Run(only, func(t *testing.T) {
			r := &run{only: only}
			var touched []string
			for _, h := range inv.Hosts {
				if r.touch(&fleet.Node{Host: h}) {
					touched = append(touched, h.Name())
				}
			}
			if got := strings.Join(touched, " "); got != only {
				t.Errorf("touched %q, want only %q", got, only)
			}
		})
	}
}
