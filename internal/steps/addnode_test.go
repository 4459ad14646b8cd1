package steps

import "testing"

func TestCheckNewHost(t *testing.T) {
	for _, tc := range []struct {
		address, hostname string
		ok                bool
	}{
		{"192.168.1.57", "pi-07", true},
		{"fd00::57", "", true},
		{"pi-07.local", "pi-07", true},
		{"PI-07.Local", "", true},
		{"192.168.1.57", "Pi-07", false},
		{"192.168.1.57", "pi_07", false},
		{"192.168.1.57", "pi-07.local", false},
		{"192.168.1.57", "-pi", false},
		{"pi@192.168.1.57", "", false},
		{"192.168.1.57:22", "", false},
		{"https://pi", "", false},
		{"", "", false},
		{"pi..local", "", false},
	} {
		err := CheckNewHost(tc.address, tc.hostname)
		if (err == nil) != tc.ok {
			t.Errorf("CheckNewHost(%q, %q) = %v, want ok=%v", tc.address, tc.hostname, err, tc.ok)
		}
	}
}
