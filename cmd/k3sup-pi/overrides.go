package main

import (
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/spf13/pflag"
)

// envPrefix prefixes the environment variables that override inventory values.
const envPrefix = "K3SUP_PI"

// overrideFlag is one flag (and environment variable) that replaces an
// inventory value.
type overrideFlag struct {
	name  string // the flag; the variable is envName(name)
	key   inventory.Key
	usage string
}

var overrideFlags = []overrideFlag{
	{"k3s-version", inventory.KeyK3sVersion, "exact k3s version to install, like v1.31.4+k3s1"},
	{"channel", inventory.KeyChannel, "k3s release channel, like stable or v1.31"},
	{"batch-size", inventory.KeyBatchSize, "agents joined per batch"},
	{"kubeconfig", inventory.KeyKubeconfig, "where to write the kubeconfig"},
	{"concurrency", inventory.KeyConcurrency, "parallel SSH connections"},
	{"user", inventory.KeyUser, "SSH user for hosts without their own"},
	{"key", inventory.KeySSHKey, "SSH private key file for hosts without their own"},
	{"known-hosts", inventory.KeyKnownHosts, "known_hosts file"},
	{"install-source", inventory.KeyInstallSource, "online or offline"},
	{"reboot-timeout", inventory.KeyRebootTimeout, "how long a host may take to come back after a reboot"},
	{"max-failures", inventory.KeyMaxFailures, "agents that may fail (a count like 3, or a percentage of the agents like 10%) before no further batch starts; default 0"},
}

// envName is the variable of a flag: "k3s-version" is K3SUP_PI_K3S_VERSION.
func envName(flag string) string {
	return envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// addOverrideFlags defines the override flags on fs, all without defaults so
// that an absent flag leaves the file value alone.
func addOverrideFlags(fs *pflag.FlagSet) {
	for _, o := range overrideFlags {
		fs.String(o.name, "", fmt.Sprintf("%s (overrides %s; env %s)", o.usage, o.key, envName(o.name)))
	}
}

// overrides collects the override values: a flag of fs that was given wins
// over its environment variable, which counts when it is set and not empty.
// fs may be nil (a command without override flags still reads the
// environment) or lack the flags.
func overrides(fs *pflag.FlagSet, lookupEnv func(string) (string, bool)) inventory.Overrides {
	out := inventory.Overrides{}
	for _, o := range overrideFlags {
		origin := fmt.Sprintf("--%s or $%s", o.name, envName(o.name))
		if f := lookupFlag(fs, o.name); f != nil && f.Changed {
			out[o.key] = inventory.Value{Text: f.Value.String(), Origin: origin}
			continue
		}
		if v, ok := lookupEnv(envName(o.name)); ok && v != "" {
			out[o.key] = inventory.Value{Text: v, Origin: origin}
		}
	}
	return out
}

func lookupFlag(fs *pflag.FlagSet, name string) *pflag.Flag {
	if fs == nil {
		return nil
	}
	return fs.Lookup(name)
}
