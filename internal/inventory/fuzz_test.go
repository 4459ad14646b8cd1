package inventory

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the decoder: it must never panic, and it
// must return either a usable inventory or an *Error with at least one problem.
func FuzzLoad(f *testing.F) {
	if data, err := os.ReadFile("../../inventory.example.yml"); err == nil {
		f.Add(data)
	}
	for _, s := range []string{"", "hosts: []", oneHost, "- a", "a: [", "cluster: {token: x, token_file: y}\n" + oneHost,
		"hosts:\n  - &a {address: a}\n  - <<: [*a, *a]\n    address: b\n", "hosts:\n  - address: a\n    labels: {x: *y}\n",
		"hosts:\n  - {address: a, taints: [\"k=v:NoSchedule\"], labels: {a/b: c}}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := Parse("fuzz.yml", data)
		if err == nil {
			if inv == nil || len(inv.Hosts) == 0 || len(inv.Servers()) == 0 {
				t.Fatalf("a valid inventory needs hosts and a server: %+v", inv)
			}
			return
		}
		var ie *Error
		if !errors.As(err, &ie) || len(ie.Problems) == 0 {
			t.Fatalf("want *Error with problems, got %T %v", err, err)
		}
		if strings.Count(err.Error(), "\n") < len(ie.Problems)-1 {
			t.Fatalf("Error() must print one problem per line")
		}
	})
}
