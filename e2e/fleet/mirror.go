package fleet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// MirrorRoot is the local tree the mirror host serves: <Dir>/mirror-root.
func (f *Fleet) MirrorRoot() string { return filepath.Join(f.Dir, "mirror-root") }

// MirrorURL is the base URL of the mirror as the hosts see it.
func (f *Fleet) MirrorURL() string { return "https://mirror" }

// prepareMirror builds the mirror server for the hosts and makes the fleet CA,
// the mirror certificate and an empty mirror-root.
func (f *Fleet) prepareMirror(ctx context.Context) error {
	if err := os.MkdirAll(f.MirrorRoot(), 0o755); err != nil {
		return fmt.Errorf("create mirror root: %w", err)
	}
	if err := f.writeCA(); err != nil {
		return err
	}
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o",
		filepath.Join(f.Dir, "k3suppi-mirror"), "./e2e/cmd/mirror")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build mirror server: %w: %s", err, out)
	}
	return nil
}

// PublishMirror replaces what the running mirror serves with the tree at
// localRoot (a directory laid out as the URL paths, e.g. v1-release/...).
func (f *Fleet) PublishMirror(ctx context.Context, localRoot string) error {
	if f.Mirror == nil {
		return fmt.Errorf("fleet %s has no mirror (Options.Mirror)", f.Name)
	}
	st, err := os.Stat(localRoot)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("publish mirror: %s is not a directory (%v)", localRoot, err)
	}
	if _, err := f.Exec(ctx, f.Mirror, "rm -rf /srv/mirror && mkdir -p /srv/mirror"); err != nil {
		return fmt.Errorf("publish mirror: %w", err)
	}
	return f.CopyTo(ctx, f.Mirror, filepath.Clean(localRoot)+"/.", "/srv/mirror/")
}
