package reset

import (
	"errors"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
)

func TestSelectHostsByIdentity(t *testing.T) {
	inv, err := inventory.Parse("inventory.yml", []byte(fleettest.SharedAddress))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		hosts   []string
		want    string // Names of the selected hosts
		staying string // Names of the servers that stay
		wantErr string
	}{
		{"hostname selects that host only", []string{"pi-b"}, "pi-b", "pi-a", ""},
		{"hostname of the server", []string{"PI-A"}, "pi-a", "", ""},
		{"address and port", []string{"10.0.0.1:2223"}, "10.0.0.1:2223", "pi-a", ""},
		{"address and port of a named host", []string{"10.0.0.1:2222"}, "pi-b", "pi-a", ""},
		{"address of one host", []string{"10.0.0.9"}, "10.0.0.9", "pi-a", ""},
		{"several", []string{"10.0.0.9", "pi-b"}, "pi-b 10.0.0.9", "pi-a", ""},
		{"shared address is ambiguous", []string{"10.0.0.1"}, "", "", `"10.0.0.1" is ambiguous`},
		{"unknown", []string{"pi-z"}, "", "", `no host "pi-z" in inventory.yml`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, stay, err := selectHosts(inv, tt.hosts)
			if tt.wantErr != "" {
				var se *inventory.SelectError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a SelectError with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(sel); got != tt.want {
				t.Errorf("selected %q, want %q", got, tt.want)
			}
			if got := names(stay); got != tt.staying {
				t.Errorf("staying %q, want %q", got, tt.staying)
			}
		})
	}
}

func names(hosts []inventory.Host) string {
	var out []string
	for _, h := range hosts {
		out = append(out, h.Name())
	}
	return strings.Join(out, " ")
}
