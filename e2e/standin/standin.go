// Package standin builds the k3s stand-in used by the e2e suite and lays
// out the files a k3s mirror or an offline bundle holds: the binary per
// version, its sha256sum file, the channel pointers and install.sh.
package standin

import (
	"context"
	"crypto/sha256"
	_ "embed" // install.sh is embedded
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// InstallScript is the stand-in for https://get.k3s.io.
//
//go:embed install.sh
var InstallScript []byte

// DefaultVersions are the versions built when none are given.
var DefaultVersions = []string{"v1.31.4+k3s1", "v1.31.5+k3s1"}

// sourceDir is the directory of this package (and of ./k3s).
func sourceDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("locating the stand-in sources")
	}
	return filepath.Dir(file), nil
}

// Build compiles one stand-in k3s (linux/amd64, static) per version into
// outDir/<version>/k3s and returns the paths by version.
func Build(ctx context.Context, outDir string, versions ...string) (map[string]string, error) {
	if len(versions) == 0 {
		versions = DefaultVersions
	}
	src, err := sourceDir()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, v := range versions {
		bin, err := filepath.Abs(filepath.Join(outDir, v, "k3s"))
		if err != nil {
			return nil, fmt.Errorf("output path for %s: %w", v, err)
		}
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin,
			"-ldflags", "-s -w -X main.version="+v, "./k3s")
		cmd.Dir = src
		if _, err := os.Stat(filepath.Join(src, "k3s")); err != nil {
			// Built with -trimpath: src is not a real directory, build by import path.
			cmd.Args[len(cmd.Args)-1], cmd.Dir = "github.com/k3sup-pi/k3sup-pi/e2e/standin/k3s", ""
		}
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building stand-in k3s %s: %w\n%s", v, err, b)
		}
		out[v] = bin
	}
	return out, nil
}

// StageMirror lays out a k3s mirror under root:
//
//	root/install.sh
//	root/k3s-io/k3s/releases/download/<version>/k3s
//	root/k3s-io/k3s/releases/download/<version>/sha256sum-amd64.txt
//	root/v1-release/channels/stable   (holds /k3s-io/k3s/releases/tag/<stable>)
//	root/v1-release/channels/latest   (the last of versions)
//
// A mirror server answers GET /v1-release/channels/<name> with a redirect
// to the path stored in the channel file, as update.k3s.io does.
func StageMirror(ctx context.Context, root string, versions []string, stable string) error {
	if len(versions) == 0 {
		versions = DefaultVersions
	}
	if stable == "" {
		stable = versions[0]
	}
	bins, err := Build(ctx, filepath.Join(root, ".build"), versions...)
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Join(root, ".build"))
	for _, v := range versions {
		dir := filepath.Join(root, "k3s-io", "k3s", "releases", "download", v)
		if err := placeBinary(bins[v], dir); err != nil {
			return err
		}
	}
	channels := map[string]string{"stable": stable, "latest": versions[len(versions)-1]}
	for name, v := range channels {
		target := []byte("/k3s-io/k3s/releases/tag/" + v + "\n")
		if err := writeFile(filepath.Join(root, "v1-release", "channels", name), target, 0o644); err != nil {
			return err
		}
	}
	return writeFile(filepath.Join(root, "install.sh"), InstallScript, 0o755)
}

// placeBinary copies bin to dir/k3s and writes dir/sha256sum-amd64.txt.
func placeBinary(bin, dir string) error {
	b, err := os.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("reading %s: %w", bin, err)
	}
	if err := writeFile(filepath.Join(dir, "k3s"), b, 0o755); err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	line := hex.EncodeToString(sum[:]) + "  k3s\n"
	return writeFile(filepath.Join(dir, "sha256sum-amd64.txt"), []byte(line), 0o644)
}

// Bundle prepares an offline install: dir/k3s of version and dir/install.sh.
func Bundle(ctx context.Context, dir, version string) error {
	bins, err := Build(ctx, filepath.Join(dir, ".build"), version)
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Join(dir, ".build"))
	b, err := os.ReadFile(bins[version])
	if err != nil {
		return fmt.Errorf("reading built binary: %w", err)
	}
	if err := writeFile(filepath.Join(dir, "k3s"), b, 0o755); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "install.sh"), InstallScript, 0o755)
}

func writeFile(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, b, mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Chmod(path, mode)
}
