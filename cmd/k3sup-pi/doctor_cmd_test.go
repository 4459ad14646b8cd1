package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// fsyncOut is what the fsync measurement prints: 200 writes in one second.
const fsyncOut = "dir=/var/lib\ndevice=/dev/mmcblk0p2\nrc=0\nbytes=819200\nstart=1000000000\nend=2000000000\n"

// TestDoctorCommand runs `doctor` end to end on a fake fleet: the table (or
// JSON on stdout), the exit code, and that nothing but the measurement ran.
func TestDoctorCommand(t *testing.T) {
	measured := func(t *testing.T) *fakeFleet {
		return newFakeFleet(t).host("10.0.0.1", "pi4-bookworm-arm64.txt").host("10.0.0.2", "pi4-bookworm-arm64.txt").
			on("10.0.0.2", "curl", reachable).on("", "dd if=/dev/zero", fsyncOut)
	}
	tests := []struct {
		name   string
		fleet  func(t *testing.T) *fakeFleet
		args   []string
		code   int
		stderr []string
		json   bool
	}{
		{"table", measured, nil, exitOK, []string{"==> storage: sequential fsync writes",
			"HOST  ROLE    DATA DIR  DEVICE          FSYNC IOPS  VERDICT", "pi-1  server  /var/lib  /dev/mmcblk0p2  200",
			"==> preflight: every check passed"}, false},
		{"json on stdout", measured, []string{"-o", "json"}, exitOK, []string{"==> storage: sequential fsync writes"}, true},
		{"a failed check exits 3 with the table", func(t *testing.T) *fakeFleet {
			return newFakeFleet(t).host("10.0.0.1", "pi4-bookworm-arm64.txt").host("10.0.0.2", "pizero-armv6l.txt").
				on("10.0.0.2", "curl", reachable).failOn("", "dd if=/dev/zero", 1)
		}, nil, exitRefused, []string{"pi-2  agent   -", "-           unknown", "preflight: 1 errors", "error: "}, false},
		{"no host reached", func(t *testing.T) *fakeFleet { return newFakeFleet(t) }, nil, exitFailed,
			[]string{": connect 10.0.0.", ":22: no route to host"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io := newTestIO("", false)
			fleet := runChecked(t, tt.fleet, io, "doctor", tt.args, tt.code, tt.stderr)
			for _, l := range fleet.log {
				if !readOnly.MatchString(l) && !strings.Contains(l, ".k3sup-pi-fsync") {
					t.Errorf("doctor ran more than reads and the measurement: %.200q", l)
				}
			}
			if len(fleet.writes) > 0 {
				t.Errorf("files written: %v", fleet.writes)
			}
			if !tt.json {
				wantNoStdout(t, io)
				return
			}
			var got doctorJSON
			if err := json.Unmarshal(io.out.Bytes(), &got); err != nil {
				t.Fatalf("stdout is not the JSON report: %v\n%s", err, io.out)
			}
			if len(got.Storage) != 2 || got.Storage[0].IOPS != 200 || got.Storage[1].Device != "/dev/mmcblk0p2" {
				t.Errorf("storage = %+v", got.Storage)
			}
		})
	}
}
