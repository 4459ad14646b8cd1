package facts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runScript runs Script with shell, reading files below root ("" for the real host).
func runScript(t *testing.T, shell string, root string, wrap ...string) Facts {
	t.Helper()
	args := append(wrap, shell, "-s")
	if root != "" {
		args = append(args, "--", root)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin = strings.NewReader(Script())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	f, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse: %v\noutput:\n%s", err, out)
	}
	return f
}

func TestScriptLocalHost(t *testing.T) {
	for _, shell := range []string{"sh", "dash", "bash"} {
		t.Run(shell, func(t *testing.T) {
			f := runScript(t, shell, "")
			if f.Arch == "" || f.KernelRelease == "" || f.OSID == "" {
				t.Errorf("arch/kernel/os empty: %+v", f)
			}
			if f.MemTotalKB <= 0 {
				t.Errorf("MemTotalKB = %d", f.MemTotalKB)
			}
			if d := time.Since(time.Unix(f.UnixTime, 0)); d < -time.Minute || d > time.Minute {
				t.Errorf("UnixTime %d is %v away from now", f.UnixTime, d)
			}
			if f.FreeVarLibKB <= 0 || f.FreeBinKB <= 0 || f.DataDirSource == "" || f.Hostname == "" {
				t.Errorf("disk or hostname facts missing: %+v", f)
			}
			if root := os.Getuid() == 0; f.Privileged != root || f.IsRoot != root {
				t.Errorf("Privileged=%v IsRoot=%v, uid %d", f.Privileged, f.IsRoot, os.Getuid())
			}
		})
	}
}

// fakeRoot writes files (path -> content; a trailing / makes a directory) below a new
// directory that any user may read, and returns it.
func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{filepath.Dir(root), root} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, content := range files {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(p, "/k3s") {
			mode = 0o755
		}
		if strings.HasSuffix(p, "config.yaml") {
			mode = 0o600
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const (
	firmwareCmdline = "/boot/firmware/cmdline.txt"
	currentCmdline  = "/boot/firmware/current/cmdline.txt"
	bootCmdline     = "/boot/cmdline.txt"
	osRelease       = "/etc/os-release"
	ubuntu2510      = "PRETTY_NAME=\"Ubuntu 25.10\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"25.10\"\nID=ubuntu\nID_LIKE=debian"
	ubuntu2404      = "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nVERSION_ID=\"24.04\"\nID=ubuntu\n"
	ubuntu2604      = "PRETTY_NAME=\"Ubuntu 26.04 LTS\"\nVERSION_ID=\"26.04\"\nID=ubuntu\n"
	bookworm        = "PRETTY_NAME='Debian GNU/Linux 12 (bookworm)'\nVERSION_ID=\"12\"\nID=debian\n"
	bullseye        = "PRETTY_NAME=\"Raspbian GNU/Linux 11 (bullseye)\"\nVERSION_ID=\"11\"\nID=raspbian\n"
)

func TestScriptCmdlinePath(t *testing.T) {
	all := func(osr string) map[string]string {
		return map[string]string{osRelease: osr, firmwareCmdline: "fw\n", currentCmdline: "current\n", bootCmdline: "stub\n"}
	}
	tests := []struct {
		name     string
		files    map[string]string
		wantPath string
		wantText string
		wantBoot string // where the boot partition belongs
	}{
		{"ubuntu 25.10 prefers current", all(ubuntu2510), currentCmdline, "current\n", "/boot/firmware"},
		{"ubuntu 26.04 prefers current", all(ubuntu2604), currentCmdline, "current\n", "/boot/firmware"},
		{"ubuntu 24.04 ignores current", all(ubuntu2404), firmwareCmdline, "fw\n", "/boot/firmware"},
		{"ubuntu 25.10 without current", map[string]string{osRelease: ubuntu2510, firmwareCmdline: "fw"}, firmwareCmdline, "fw", "/boot/firmware"},
		{"bookworm firmware over stub", all(bookworm), firmwareCmdline, "fw\n", "/boot/firmware"},
		{"bullseye /boot", map[string]string{osRelease: bullseye, bootCmdline: "old\n"}, bootCmdline, "old\n", "/boot"},
		{"bullseye prefers /boot over a firmware directory", map[string]string{osRelease: bullseye, bootCmdline: "old\n", firmwareCmdline: "fw\n"},
			bootCmdline, "old\n", "/boot"},
		{"no os-release: firmware first", map[string]string{firmwareCmdline: "fw\n", bootCmdline: "stub\n"}, firmwareCmdline, "fw\n", "/boot/firmware"},
		{"no cmdline.txt", map[string]string{osRelease: bookworm}, "", "", "/boot/firmware"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := runScript(t, "sh", fakeRoot(t, tt.files))
			if f.CmdlinePath != tt.wantPath || f.Cmdline != tt.wantText || f.BootDir != tt.wantBoot {
				t.Errorf("cmdline = %q %q, boot dir %q; want %q %q %q", f.CmdlinePath, f.Cmdline, f.BootDir, tt.wantPath, tt.wantText, tt.wantBoot)
			}
		})
	}
}
