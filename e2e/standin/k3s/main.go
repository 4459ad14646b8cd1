// Command k3s is a small stand-in for the real k3s binary, used by the e2e
// suite where real k3s cannot be downloaded. It keeps the contract k3sup-pi
// relies on: the same files, token format, join checks, readiness via
// sd_notify, failure messages, and enough of the Kubernetes API for the real
// kubectl to get, label, taint, cordon, drain, wait for and delete nodes.
//
// crictl and ctr (reached through their symlinks or as subcommands) print a
// short note and exit 0: the stand-in runs no containers.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// version is injected at build time with -ldflags "-X main.version=...".
var version = "v1.31.4+k3s1"

// commit is a short, stable stand-in for the git commit k3s prints.
func commit() string {
	sum := sha256.Sum256([]byte(version))
	return hex.EncodeToString(sum[:4])
}

func main() {
	os.Exit(run(os.Args))
}

func run(args []string) int {
	switch filepath.Base(args[0]) {
	case "kubectl":
		return execKubectl(args[1:])
	case "crictl", "ctr":
		return runtimeStub(filepath.Base(args[0]))
	}
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: k3s [--version] server|agent|kubectl|crictl|ctr [flags]")
		return 1
	}
	switch args[1] {
	case "--version", "-v", "version":
		fmt.Printf("k3s version %s (%s)\ngo version %s\n", version, commit(), runtime.Version())
		return 0
	case "kubectl":
		return execKubectl(args[2:])
	case "crictl", "ctr":
		return runtimeStub(args[1])
	case "server", "agent":
		return runRole(args[1], args[2:])
	}
	fmt.Fprintf(os.Stderr, "No help topic for '%s'\n", args[1])
	return 3
}

// runRole parses the configuration and runs a server or an agent until a
// signal arrives or a fatal error happens.
func runRole(role string, args []string) int {
	cfg, err := loadConfig(role, args)
	if err != nil {
		logf("fatal", "%v", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if role == "server" {
		err = runServer(ctx, cfg)
	} else {
		err = runAgent(ctx, cfg)
	}
	if err != nil && ctx.Err() == nil {
		logf("fatal", "%v", err)
		return 1
	}
	return 0
}

// logf writes one line in the logrus text format k3s uses.
func logf(level, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	ts := time.Now().UTC().Format(time.RFC3339)
	fmt.Fprintf(os.Stderr, "time=%q level=%s msg=%q\n", ts, level, msg)
}

// execKubectl replaces the process with the real kubectl, defaulting
// KUBECONFIG to the server's admin kubeconfig as k3s does.
func execKubectl(args []string) int {
	bin := kubectlBin
	if v := os.Getenv(kubectlEnv); v != "" {
		bin = v
	}
	env := os.Environ()
	if os.Getenv("KUBECONFIG") == "" && !hasKubeconfigFlag(args) {
		if _, err := os.Stat(kubeconfigPath()); err == nil {
			env = withoutKey(env, "KUBECONFIG")
			env = append(env, "KUBECONFIG="+kubeconfigPath())
		}
	}
	err := syscall.Exec(bin, append([]string{"kubectl"}, args...), env)
	fmt.Fprintf(os.Stderr, "k3s kubectl: exec %s: %v\n", bin, err)
	return 1
}

func withoutKey(env []string, key string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, key+"=") {
			out = append(out, e)
		}
	}
	return out
}

func hasKubeconfigFlag(args []string) bool {
	for _, a := range args {
		if a == "--kubeconfig" || strings.HasPrefix(a, "--kubeconfig=") {
			return true
		}
	}
	return false
}

func runtimeStub(name string) int {
	fmt.Printf("%s: the k3s stand-in runs no container runtime; nothing to show\n", name)
	return 0
}
