package remote

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
)

func TestReboot(t *testing.T) {
	tests := []struct {
		name      string
		goesDown  bool
		comesBack bool
		state     string
		wantErr   string
	}{
		{"back and running", true, true, "running", ""},
		{"back degraded", true, true, "degraded", ""},
		{"never goes down", false, false, "running", "has not rebooted yet"},
		{"never comes back", true, false, "running", "not back after reboot"},
		{"stuck starting", true, true, "starting", `system state "starting"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			runDir := t.TempDir()
			var srv *sshtest.Server
			var rebooted atomic.Bool
			clearRun := func() {
				old, _ := filepath.Glob(filepath.Join(runDir, "k3sup-pi-reboot.*"))
				for _, f := range old {
					_ = os.Remove(f)
				}
			}
			srv = e.server(sshtest.Config{
				Bin: map[string]string{"systemctl": sshtest.SystemctlScript(tt.state)},
				Intercept: func(cmd string) (int, bool) {
					if !strings.Contains(cmd, "systemctl reboot") {
						return 0, false
					}
					if tt.goesDown && rebooted.CompareAndSwap(false, true) {
						delay := 300 * time.Millisecond
						if !tt.comesBack {
							delay = time.Hour
						}
						srv.Reboot(delay, clearRun)
					}
					return 0, true
				},
			})
			e.trust(srv)
			c := e.dial(target(srv), e.opts())
			c.runDir = runDir
			// 6 s leaves room for several probes on a loaded 2-core machine; at 2 s a
			// single slow probe could outlast the deadline and hide the real state.
			err := c.Reboot(ctxT(t), 6*time.Second)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !rebooted.Load() {
				t.Fatal("reboot was not requested")
			}
			res, err := c.Run(ctxT(t), Cmd{Script: "echo usable"})
			if err != nil || strings.TrimSpace(string(res.Stdout)) != "usable" {
				t.Fatalf("client after reboot: %q %v", res.Stdout, err)
			}
			if len(srv.Users()) < 2 {
				t.Errorf("no reconnection seen: users %v", srv.Users())
			}
		})
	}
}
