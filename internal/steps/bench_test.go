package steps

import (
	"os"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/cmdline"
	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/k3sconfig"
)

// BenchmarkPlanHost measures the local work `up` does per host between the
// facts round trip and the first change: parse the facts, plan the cmdline
// patch, render config.yaml, hash it and plan k3s. For 300 hosts, multiply.
func BenchmarkPlanHost(b *testing.B) {
	out, err := os.ReadFile("../facts/testdata/pi4-k3s-server.txt")
	if err != nil {
		b.Fatal(err)
	}
	node := k3sconfig.Node{Role: "agent", NodeName: "pi-07", ServerURL: "https://10.0.0.5:6443",
		Token: "K10abc::server:0123456789abcdef", Extra: map[string]any{"kubelet-arg": []any{"max-pods=50"}}}
	b.ReportAllocs()
	for b.Loop() {
		f, err := facts.Parse(out)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := PlanPrep(f, "pi-07"); err != nil {
			b.Fatal(err)
		}
		if _, _, err := cmdline.Patch(piLine); err != nil {
			b.Fatal(err)
		}
		cfg, err := k3sconfig.Render(node)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := PlanK3s(f, K3sWant{Role: f.K3sRole, ConfigHash: k3sconfig.Hash(cfg)}); err != nil {
			b.Fatal(err)
		}
	}
}
