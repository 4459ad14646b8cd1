package fleet

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// createHost creates h's container, copies the fleet's files into it, starts it.
func (f *Fleet) createHost(ctx context.Context, h *Host) error {
	hostname := Hostname
	if h == f.Mirror || h == f.Bastion {
		hostname = h.Name
	}
	args := []string{"create", "--name", h.Container, "--hostname", hostname,
		"--network", f.Network, "--ip", h.Addr,
		"--label", Label + "=" + f.Name, "--label", "k3sup-pi.host=" + h.Name,
		"--tmpfs", "/run", "--tmpfs", "/run/lock", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro",
		"--cap-add", "NET_ADMIN", "--cap-add", "SYS_ADMIN", "--restart", "unless-stopped", "-e", "container=docker"}
	if h.alias != "" {
		args = append(args, "--network-alias", h.alias)
	}
	if h != f.Mirror && h != f.Bastion {
		args = append(args, bootPartition...)
	}
	if _, err := docker(ctx, append(args, f.Image)...); err != nil {
		return fmt.Errorf("host %s: %w", h.Name, err)
	}
	payload, err := f.payload(h)
	if err != nil {
		return fmt.Errorf("host %s: %w", h.Name, err)
	}
	if _, err := dockerIn(ctx, payload, "cp", "-a", "-", h.Container+":/"); err != nil {
		return fmt.Errorf("host %s: copy fleet files: %w", h.Name, err)
	}
	if _, err := docker(ctx, "start", h.Container); err != nil {
		return fmt.Errorf("host %s: %w", h.Name, err)
	}
	return nil
}

// bootPartition makes /boot/firmware a file system of its own, as the FAT
// boot partition is on a Pi: an anonymous Docker volume, which Docker fills
// with the image's /boot/firmware (cmdline.txt, config.txt) on creation, which
// survives reboots and power cuts like a partition, and which goes with the
// container (docker rm -v). It is not FAT: the kernel of the machines the
// fleet runs on has no vfat driver, so no FAT image can be mounted. Below it
// the image's own copy stays on the root file system, as a Pi's empty mount
// point does: unmounting /boot/firmware shows k3sup-pi a cmdline.txt on the
// root file system, which preflight must refuse.
var bootPartition = []string{"--mount", "type=volume,dst=/boot/firmware"}

// readyScript reports, once systemd has finished booting, the system state,
// sshd's state, the host's ed25519 public key and the failed units.
const readyScript = `echo "state=$(systemctl is-system-running --wait 2>&1)"
echo "ssh=$(systemctl is-active ssh 2>&1)"
echo "extra=$(systemctl is-active ${EXTRA:-ssh} 2>&1)"
echo "key=$(cat /etc/ssh/ssh_host_ed25519_key.pub 2>&1)"
echo "ecdsa=$(cat /etc/ssh/ssh_host_ecdsa_key.pub 2>&1)"
echo "failed=$(systemctl --failed --no-legend --plain 2>&1 | cut -d' ' -f1 | paste -sd' ' -)"`

// WaitReady polls h until systemd has finished booting (running or degraded)
// and sshd is active, within timeout, and returns h's host public keys
// (ed25519, then ecdsa; one authorized_keys-style line each).
func (f *Fleet) WaitReady(ctx context.Context, h *Host, timeout time.Duration) (string, error) {
	extra := "ssh"
	if h == f.Mirror {
		extra = "pifleet-mirror"
	}
	deadline := time.After(timeout)
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		out, err := f.Exec(ctx, h, "EXTRA="+extra+"\n"+readyScript)
		kv := parseKV(out)
		if err == nil && (kv["state"] == "running" || kv["state"] == "degraded") &&
			kv["ssh"] == "active" && kv["extra"] == "active" && strings.HasPrefix(kv["key"], "ssh-ed25519 ") && strings.HasPrefix(kv["ecdsa"], "ecdsa-") {
			if kv["failed"] != "" {
				fmt.Fprintf(f.log, "host %s: failed units: %s\n", h.Name, kv["failed"])
			}
			return kv["key"] + "\n" + kv["ecdsa"], nil
		}
		last = strings.TrimSpace(out)
		if err != nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("host %s: wait ready: %w (last: %s)", h.Name, ctx.Err(), last)
		case <-deadline:
			return "", fmt.Errorf("host %s: not ready after %s (last: %s)", h.Name, timeout, last)
		case <-tick.C:
		}
	}
}

func parseKV(s string) map[string]string {
	kv := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			kv[k] = strings.TrimSpace(v)
		}
	}
	return kv
}

// Host returns the fleet host called name (pi-01, mirror, bastion), or nil.
func (f *Fleet) Host(name string) *Host {
	for _, h := range f.All() {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// Exec runs script with sh -c as root inside h (out of band, via docker exec)
// and returns its combined output; on failure the error includes the output.
func (f *Fleet) Exec(ctx context.Context, h *Host, script string) (string, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", "exec", h.Container, "sh", "-c", script)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("host %s: exec %q: %w: %s", h.Name, shortArgs([]string{script}), err,
			strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// CopyTo copies the local file or directory localPath to remotePath inside h.
func (f *Fleet) CopyTo(ctx context.Context, h *Host, localPath, remotePath string) error {
	if _, err := docker(ctx, "cp", localPath, h.Container+":"+remotePath); err != nil {
		return fmt.Errorf("host %s: copy %s: %w", h.Name, localPath, err)
	}
	return nil
}

// Kill cuts h's power: its container is killed and stays off until PowerOn.
func (f *Fleet) Kill(ctx context.Context, h *Host) error { return hostDo(ctx, h, "kill", h.Container) }

// PowerOn starts h again after Kill; it boots like after a power cut.
func (f *Fleet) PowerOn(ctx context.Context, h *Host) error {
	return hostDo(ctx, h, "start", h.Container)
}

// Pause freezes every process of h (it stops answering but keeps its state).
func (f *Fleet) Pause(ctx context.Context, h *Host) error {
	return hostDo(ctx, h, "pause", h.Container)
}

// Unpause resumes h after Pause.
func (f *Fleet) Unpause(ctx context.Context, h *Host) error {
	return hostDo(ctx, h, "unpause", h.Container)
}

// Restart shuts h down cleanly (systemd stops its services) and boots it again.
// A host still booting may ignore the stop signal; Docker then kills it after 20s.
func (f *Fleet) Restart(ctx context.Context, h *Host) error {
	return hostDo(ctx, h, "restart", "-t", "20", h.Container)
}

// Disconnect cuts h off the fleet network.
func (f *Fleet) Disconnect(ctx context.Context, h *Host) error {
	return hostDo(ctx, h, "network", "disconnect", f.Network, h.Container)
}

// Connect puts h back on the fleet network with its own address.
func (f *Fleet) Connect(ctx context.Context, h *Host) error {
	args := []string{"network", "connect", "--ip", h.Addr}
	if h.alias != "" {
		args = append(args, "--alias", h.alias)
	}
	return hostDo(ctx, h, append(args, f.Network, h.Container)...)
}

func hostDo(ctx context.Context, h *Host, args ...string) error {
	if _, err := docker(ctx, args...); err != nil {
		return fmt.Errorf("host %s: %w", h.Name, err)
	}
	return nil
}
