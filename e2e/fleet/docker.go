package fleet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// docker runs the docker CLI with args and returns its trimmed stdout.
// On failure the error carries the command line and its stderr.
func docker(ctx context.Context, args ...string) (string, error) {
	return dockerIn(ctx, nil, args...)
}

// dockerIn is docker with stdin attached to in (nil for none).
func dockerIn(ctx context.Context, in io.Reader, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdin = in
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("docker %s: %w: %s", shortArgs(args), err,
			strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// dockerLog runs the docker CLI with stdout and stderr streamed to log.
func dockerLog(ctx context.Context, log io.Writer, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdout = log
	cmd.Stderr = log
	if env != nil {
		cmd.Env = append(cmd.Environ(), env...)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker %s: %w", shortArgs(args), err)
	}
	return nil
}

// shortArgs renders docker arguments for error messages, cutting long scripts.
func shortArgs(args []string) string {
	s := strings.Join(args, " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// lines splits command output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
