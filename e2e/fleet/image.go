package fleet

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// AdminSudoPassword is the password user admin must give to sudo on every host.
const AdminSudoPassword = "admin-sudo-pw"

const (
	imageRepo  = "k3suppi-host"
	rootfsRepo = "k3suppi-rootfs"
)

// BuildImage builds the Pi-like host image, or reuses it when an image built
// from the same inputs (package list, build files, mirror) already exists, and
// returns its tag. The debootstrapped rootfs is cached as a tarball in
// e2e/.cache, so only a change to the package list or rootfs.sh re-runs
// debootstrap. Progress goes to log.
func BuildImage(ctx context.Context, log io.Writer) (string, error) {
	if log == nil {
		log = io.Discard
	}
	dir, err := e2eDir("image")
	if err != nil {
		return "", err
	}
	mirror := DebianMirror()
	rootfsSum, err := hashInputs(dir, mirror, "packages.txt", "rootfs.sh")
	if err != nil {
		return "", err
	}
	imageSum, err := hashInputs(dir, rootfsSum+AdminSudoPassword, ".")
	if err != nil {
		return "", err
	}
	tag := imageRepo + ":" + imageSum
	if imageExists(ctx, tag) {
		fmt.Fprintf(log, "image %s is up to date\n", tag)
		return tag, nil
	}
	base, err := importRootfs(ctx, log, dir, mirror, rootfsSum)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(log, "building %s from %s\n", tag, base)
	err = dockerLog(ctx, log, []string{"DOCKER_BUILDKIT=0"}, "build",
		"--build-arg", "BASE="+base, "--build-arg", "ADMIN_PASSWORD="+AdminSudoPassword,
		"--label", "k3sup-pi.image=host", "-t", tag, dir)
	if err != nil {
		return "", fmt.Errorf("build host image: %w", err)
	}
	return tag, nil
}

// importRootfs makes sure the rootfs tarball for sum is cached (running
// debootstrap when it is not) and imported as a Docker image; it returns the tag.
func importRootfs(ctx context.Context, log io.Writer, dir, mirror, sum string) (string, error) {
	tag := rootfsRepo + ":" + sum
	if imageExists(ctx, tag) {
		return tag, nil
	}
	cache, err := e2eDir(".cache")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("create cache dir: %w", err)
	}
	tarball := filepath.Join(cache, "rootfs-"+sum+".tar")
	if _, err := os.Stat(tarball); err != nil {
		fmt.Fprintf(log, "debootstrap bookworm from %s into %s\n", mirror, tarball)
		cmd := exec.CommandContext(ctx, "bash", filepath.Join(dir, "rootfs.sh"),
			mirror, filepath.Join(dir, "packages.txt"), tarball)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("debootstrap rootfs (is debootstrap installed? make deps): %w", err)
		}
	}
	fmt.Fprintf(log, "importing %s as %s\n", tarball, tag)
	if _, err := docker(ctx, "import", "--change", `CMD ["/sbin/init"]`, tarball, tag); err != nil {
		return "", fmt.Errorf("import rootfs: %w", err)
	}
	return tag, nil
}

func imageExists(ctx context.Context, tag string) bool {
	_, err := docker(ctx, "image", "inspect", "--format", "{{.Id}}", tag)
	return err == nil
}

// hashInputs hashes salt and the named files or directories (relative to dir,
// walked in a stable order, with modes) into a short hex digest.
func hashInputs(dir, salt string, names ...string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "salt %s\n", salt)
	for _, name := range names {
		var paths []string
		err := filepath.WalkDir(filepath.Join(dir, name), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				paths = append(paths, p)
			}
			return err
		})
		if err != nil {
			return "", fmt.Errorf("hash image inputs: %w", err)
		}
		sort.Strings(paths)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				return "", fmt.Errorf("hash image inputs: %w", err)
			}
			st, _ := os.Stat(p)
			rel, _ := filepath.Rel(dir, p)
			fmt.Fprintf(h, "%s %o %d\n", rel, st.Mode().Perm()&0o111, len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// DebianMirror returns the Debian mirror to debootstrap from: $K3SUPPI_DEBIAN_MIRROR,
// else the first "URIs:" entry of /etc/apt/sources.list.d/debian.sources that is
// not a security mirror, else the first deb line of /etc/apt/sources.list, else
// http://deb.debian.org/debian.
func DebianMirror() string {
	if m := os.Getenv("K3SUPPI_DEBIAN_MIRROR"); m != "" {
		return m
	}
	if m := scanMirror("/etc/apt/sources.list.d/debian.sources", "URIs:"); m != "" {
		return m
	}
	if m := scanMirror("/etc/apt/sources.list", "deb "); m != "" {
		return m
	}
	return "http://deb.debian.org/debian"
}

// scanMirror returns the first http(s) URL on a line of file starting with
// prefix that is not a security mirror.
func scanMirror(file, prefix string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), prefix) {
			continue
		}
		for _, u := range strings.Fields(sc.Text()) {
			if strings.HasPrefix(u, "http") && !strings.Contains(u, "security") {
				return u
			}
		}
	}
	return ""
}
