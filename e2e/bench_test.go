//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkUpFleet times `k3sup-pi up` on fresh Pi-like hosts (one server, the
// rest agents, online install from the fleet mirror) and the idempotent re-run,
// and prints both as metrics. Run it with `make bench`.
func BenchmarkUpFleet(b *testing.B) {
	for _, n := range []int{4, 16} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			for b.Loop() {
				f := startFleet(b, "bench", n, true)
				names := make([]string, n)
				for i := range names {
					names[i] = fmt.Sprintf("bench-%d", i)
				}
				inv := writeFile(b, "inventory.yml", inventory(f, onlineInstall(f), specs(f.Hosts, names)))
				up := mustTool(b, "up", "-i", inv)
				again := mustTool(b, "up", "-i", inv)
				b.ReportMetric(up.took.Seconds(), "s/up")
				b.ReportMetric(again.took.Seconds(), "s/rerun")
				b.ReportMetric(float64(again.took.Milliseconds())/float64(n), "ms/host-rerun")
				b.Logf("%d hosts: up %s, re-run %s", n, up.took.Round(time.Millisecond), again.took.Round(time.Millisecond))
			}
		})
	}
}
