package fleet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const modulePath = "github.com/k3sup-pi/k3sup-pi"

// RepoRoot returns the root of the k3sup-pi checkout: the nearest directory at
// or above the working directory whose go.mod declares the project's module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(firstLine(string(b)), modulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repo root: no go.mod of " + modulePath + " above the working directory")
		}
		dir = parent
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// e2eDir returns <repo>/e2e/<elem...>.
func e2eDir(elem ...string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{root, "e2e"}, elem...)...), nil
}
