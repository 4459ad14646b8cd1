package steps

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVxlanScript runs the script with sh against fake modinfo and apt-get.
func TestVxlanScript(t *testing.T) {
	tests := []struct {
		name     string
		modinfo  string // exit status of modinfo vxlan
		apt      string // exit status of apt-get install
		wantOut  string
		wantErr  bool
		wantDiag string
	}{
		{"module present: nothing to do", "0", "1", "", false, ""},
		{"module missing: installed", "1", "0", "installed", false, ""},
		{"offline: clear error", "1", "100", "", true, "install it by hand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := t.TempDir()
			for name, code := range map[string]string{"modinfo": tt.modinfo, "apt-get": tt.apt, "modprobe": "0"} {
				script := "#!/bin/sh\necho \"$0 $*\" >> " + filepath.Join(bin, "calls") + "\nexit " + code + "\n"
				if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("sh", "-c", vxlanScript)
			cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if (err != nil) != tt.wantErr || strings.TrimSpace(string(out)) != tt.wantOut || !strings.Contains(stderr.String(), tt.wantDiag) {
				t.Errorf("out %q err %v stderr %q", out, err, stderr.String())
			}
			calls, _ := os.ReadFile(filepath.Join(bin, "calls"))
			if installs := strings.Contains(string(calls), "linux-modules-extra-raspi"); installs != (tt.modinfo != "0") {
				t.Errorf("apt-get called=%v, want %v\n%s", installs, tt.modinfo != "0", calls)
			}
		})
	}
}
