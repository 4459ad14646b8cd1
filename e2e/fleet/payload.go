package fleet

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Fixed ids of the image's users (created in this order by the Dockerfile).
const (
	piUID    = 1000
	adminUID = 1001
)

// payload returns a tar stream of the fleet files h gets before its first boot:
// the fleet key for pi and admin, the boot id unit, the fleet CA, the bastion rule, and on the
// mirror host the mirror server, its certificate and the mirror tree.
func (f *Fleet) payload(h *Host) (io.Reader, error) {
	var buf bytes.Buffer
	tw := &tarWriter{w: tar.NewWriter(&buf)}
	key, err := f.authorizedKey()
	if err != nil {
		return nil, err
	}
	for _, u := range []struct {
		name string
		uid  int
	}{{"pi", piUID}, {"admin", adminUID}} {
		tw.dir("home/"+u.name+"/.ssh", 0o700, u.uid)
		tw.file("home/"+u.name+"/.ssh/authorized_keys", key, 0o600, u.uid)
	}
	tw.dir("etc/k3suppi", 0o755, 0)
	tw.file("etc/systemd/system/"+bootIDUnit, []byte(bootIDService), 0o644, 0)
	tw.symlink("etc/systemd/system/sysinit.target.wants/"+bootIDUnit, "/etc/systemd/system/"+bootIDUnit)
	if f.Mirror != nil {
		tw.copy("usr/local/share/ca-certificates/k3suppi-fleet-ca.crt", f.CAPath, 0o644)
	}
	if f.Bastion != nil && h != f.Bastion {
		tw.file("etc/k3suppi/ssh-allow-from", []byte(f.Bastion.Addr+"\n"), 0o644, 0)
	}
	if h == f.Mirror {
		tw.copy("usr/local/bin/k3suppi-mirror", filepath.Join(f.Dir, "k3suppi-mirror"), 0o755)
		tw.copy("etc/k3suppi/mirror.crt", filepath.Join(f.Dir, "mirror.crt"), 0o644)
		tw.copy("etc/k3suppi/mirror.key", filepath.Join(f.Dir, "mirror.key"), 0o600)
		tw.tree("srv/mirror", f.MirrorRoot())
	}
	if err := tw.close(); err != nil {
		return nil, fmt.Errorf("fleet files for %s: %w", h.Name, err)
	}
	return &buf, nil
}

// bootIDUnit gives every boot of a host its own kernel boot id, as a real
// board has: a container shares the machine's kernel, whose
// /proc/sys/kernel/random/boot_id never changes when the container reboots,
// and k3sup-pi tells a host is back from a reboot by a new boot id. The bind
// mount lives in the container's mount namespace, so a reboot (a new
// container process) drops it and the next boot mounts a fresh id.
const bootIDUnit = "pifleet-bootid.service"

const bootIDService = `[Unit]
Description=A new kernel boot id on every boot, as a real board has
DefaultDependencies=no
Before=sysinit.target ssh.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'cat /proc/sys/kernel/random/uuid > /run/pifleet-boot-id && mount --bind /run/pifleet-boot-id /proc/sys/kernel/random/boot_id'

[Install]
WantedBy=sysinit.target
`

// tarWriter writes tar entries, keeping the first error.
type tarWriter struct {
	w   *tar.Writer
	err error
}

func (t *tarWriter) header(hdr *tar.Header) {
	if t.err == nil {
		hdr.ModTime = time.Now()
		t.err = t.w.WriteHeader(hdr)
	}
}

func (t *tarWriter) dir(name string, mode int64, uid int) {
	t.header(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: uid, Gid: uid})
}

func (t *tarWriter) file(name string, data []byte, mode int64, uid int) {
	t.header(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Uid: uid, Gid: uid, Size: int64(len(data))})
	if t.err == nil {
		_, t.err = t.w.Write(data)
	}
}

func (t *tarWriter) symlink(name, target string) {
	t.header(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777})
}

func (t *tarWriter) copy(name, src string, mode int64) {
	b, err := os.ReadFile(src)
	if err != nil && t.err == nil {
		t.err = err
	}
	t.file(name, b, mode, 0)
}

// tree adds the directory src as name, owned by root.
func (t *tarWriter) tree(name, src string) {
	t.dir(name, 0o755, 0)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == src {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			t.dir(name+"/"+filepath.ToSlash(rel), 0o755, 0)
		} else if d.Type().IsRegular() {
			t.copy(name+"/"+filepath.ToSlash(rel), p, 0o644)
		}
		return t.err
	})
	if err != nil && t.err == nil {
		t.err = err
	}
}

func (t *tarWriter) close() error {
	if t.err != nil {
		return t.err
	}
	return t.w.Close()
}
