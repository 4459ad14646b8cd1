package main

import (
	"encoding/json"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
)

// fsyncOut is what the fsync measurement prints: 200 writes in one second.
const fsyncOut = "dir=/var/lib\ndevice=/dev/mmcblk0p2\nrc=0\nbytes=819200\nstart=1000000000\nend=2000000000\n"

// TestDoctorCommand runs `doctor` end to end on a fake fleet: the table (or
// JSON on stdout), the exit code, and that nothing but the measurement ran.
func TestDoctorCommand(t *testing.T) {
	measured := func(t *testing.T) *testFleet {
		f := newFleet(t)
		f.host("10.0.0.1", "pi4-bookworm-arm64.txt").Fsync = fsyncOut
		h := f.host("10.0.0.2", "pi4-bookworm-arm64.txt")
		h.Probe, h.Fsync = fleettest.ProbeConnected, fsyncOut
		return f.expects("10.0.0.2: probe", "10.0.0.1: fsync test", "10.0.0.2: fsync test")
	}
	tests := []struct {
		name   string
		fleet  func(t *testing.T) *testFleet
		args   []string
		code   int
		stderr []string
		json   bool
	}{
		{"table", measured, nil, exitOK, []string{"==> storage: sequential fsync writes",
			"HOST  ROLE    DATA DIR  DEVICE          FSYNC IOPS  VERDICT", "pi-1  server  /var/lib  /dev/mmcblk0p2  200",
			"==> preflight: every check passed"}, false},
		{"json on stdout", measured, []string{"-o", "json"}, exitOK, []string{"==> storage: sequential fsync writes"}, true},
		{"a failed check exits 3 with the table", func(t *testing.T) *testFleet {
			f := newFleet(t)
			f.host("10.0.0.1", "pi4-bookworm-arm64.txt").Fail = map[string]string{"dd if=/dev/zero": "dd: failed"}
			h := f.host("10.0.0.2", "pizero-armv6l.txt")
			h.Probe, h.Fail = fleettest.ProbeConnected, map[string]string{"dd if=/dev/zero": "dd: failed"}
			return f.expects("10.0.0.2: probe", "10.0.0.2: failed: dd if=/dev/zero")
		}, nil, exitRefused, []string{"pi-2  agent   -", "-           unknown", "preflight: 1 errors", "error: "}, false},
		{"no host reached", newFleet, nil, exitFailed,
			[]string{": connect 10.0.0.", ":22: no route to host"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io := newTestIO("", false)
			fleet := runChecked(t, tt.fleet, io, "doctor", tt.args, tt.code, tt.stderr)
			fleet.unchanged() // the measurement's file is removed: not a change
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
