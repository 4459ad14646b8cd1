package inventory

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoCLIDependencies: the domain package knows nothing of the command
// line; flags and the environment are bound in cmd/k3sup-pi.
func TestNoCLIDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, cli := range []string{"spf13/pflag", "spf13/viper", "spf13/cobra"} {
			if strings.Contains(dep, cli) {
				t.Errorf("internal/inventory depends on %s", dep)
			}
		}
	}
}
