package inventory

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// EnvPrefix prefixes the environment variables that override inventory values.
const EnvPrefix = "K3SUP_PI"

// override is one flag (and environment variable) that replaces a file value.
type override struct {
	name  string // flag name and viper key
	path  string // inventory key path
	usage string
	apply func(inv *Inventory, v *viper.Viper, name string) error
}

var overrides = []override{
	{"k3s-version", "cluster.k3s_version", "exact k3s version to install, like v1.31.4+k3s1", setVersion},
	{"channel", "cluster.channel", "k3s release channel, like stable or v1.31", setChannel},
	{"batch-size", "cluster.batch_size", "agents joined per batch", intSetter(func(i *Inventory) *int { return &i.Cluster.BatchSize })},
	{"kubeconfig", "cluster.kubeconfig", "where to write the kubeconfig", pathSetter(func(i *Inventory) *string { return &i.Cluster.Kubeconfig })},
	{"concurrency", "cluster.concurrency", "parallel SSH connections", intSetter(func(i *Inventory) *int { return &i.Cluster.Concurrency })},
	{"user", "ssh.user", "SSH user for hosts without their own", strSetter(func(i *Inventory) *string { return &i.SSH.User })},
	{"key", "ssh.key", "SSH private key file for hosts without their own", pathSetter(func(i *Inventory) *string { return &i.SSH.Key })},
	{"known-hosts", "ssh.known_hosts", "known_hosts file", pathSetter(func(i *Inventory) *string { return &i.SSH.KnownHosts })},
	{"install-source", "cluster.install.source", "online or offline", strSetter(func(i *Inventory) *string { return &i.Cluster.Install.Source })},
	{"reboot-timeout", "cluster.reboot_timeout", "how long a host may take to come back after a reboot", setRebootTimeout},
}

// NewViper returns a viper that reads K3SUP_PI_* environment variables for
// the override keys ("k3s-version" reads K3SUP_PI_K3S_VERSION). Bind flags
// into it with BindFlags.
func NewViper() *viper.Viper {
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	return v
}

// AddFlags defines the override flags on fs, all without defaults so that an
// absent flag leaves the file value alone.
func AddFlags(fs *pflag.FlagSet) {
	for _, o := range overrides {
		fs.String(o.name, "", fmt.Sprintf("%s (overrides %s; env %s)", o.usage, o.path, envName(o.name)))
	}
}

// BindFlags binds the override flags present in fs into v.
func BindFlags(v *viper.Viper, fs *pflag.FlagSet) error {
	for _, o := range overrides {
		if f := fs.Lookup(o.name); f != nil {
			if err := v.BindPFlag(o.name, f); err != nil {
				return fmt.Errorf("bind flag --%s: %w", o.name, err)
			}
		}
	}
	return nil
}

func envName(name string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// ApplyOverrides replaces file values with the flags and K3SUP_PI_*
// environment variables set in v, then validates the inventory again. Paths
// given this way are relative to the working directory, not the inventory.
// Problems come back as an *Error; their messages name the flag and variable.
func ApplyOverrides(inv *Inventory, v *viper.Viper) error {
	if v == nil {
		return nil
	}
	if inv.pos == nil {
		inv.pos = map[string]pos{}
	}
	var ps problems
	for _, o := range overrides {
		if !v.IsSet(o.name) {
			continue
		}
		origin := pos{origin: fmt.Sprintf("--%s or $%s", o.name, envName(o.name))}
		if err := o.apply(inv, v, o.name); err != nil {
			ps.add(origin, o.path, "%v", err)
			continue
		}
		inv.pos[o.path] = origin
	}
	if len(ps.list) == 0 {
		validate(inv, &ps)
	}
	return ps.err(inv.File)
}

func strSetter(field func(*Inventory) *string) func(*Inventory, *viper.Viper, string) error {
	return func(inv *Inventory, v *viper.Viper, name string) error {
		*field(inv) = v.GetString(name)
		return nil
	}
}

func pathSetter(field func(*Inventory) *string) func(*Inventory, *viper.Viper, string) error {
	return func(inv *Inventory, v *viper.Viper, name string) error {
		p := v.GetString(name)
		if p != "" {
			cwd, err := filepath.Abs(".")
			if err != nil {
				return fmt.Errorf("resolve %q: %w", p, err)
			}
			p = expandPath(p, cwd)
		}
		*field(inv) = p
		return nil
	}
}

func intSetter(field func(*Inventory) *int) func(*Inventory, *viper.Viper, string) error {
	return func(inv *Inventory, v *viper.Viper, name string) error {
		s := strings.TrimSpace(v.GetString(name))
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		*field(inv) = n
		return nil
	}
}

// setVersion sets k3s_version and, unless a channel is given too, drops the
// file's channel: the flag means "this exact version".
func setVersion(inv *Inventory, v *viper.Viper, name string) error {
	inv.Cluster.K3sVersion = v.GetString(name)
	if !v.IsSet("channel") {
		inv.Cluster.Channel = ""
		delete(inv.pos, "cluster.channel")
	}
	if inv.Cluster.K3sVersion == "" && inv.Cluster.Channel == "" {
		inv.Cluster.Channel = DefaultChannel
	}
	return nil
}

// setChannel sets channel and, unless a version is given too, drops the file's version.
func setChannel(inv *Inventory, v *viper.Viper, name string) error {
	inv.Cluster.Channel = v.GetString(name)
	if !v.IsSet("k3s-version") {
		inv.Cluster.K3sVersion = ""
		delete(inv.pos, "cluster.k3s_version")
	}
	if inv.Cluster.Channel == "" && inv.Cluster.K3sVersion == "" {
		inv.Cluster.Channel = DefaultChannel
	}
	return nil
}

func setRebootTimeout(inv *Inventory, v *viper.Viper, name string) error {
	s := strings.TrimSpace(v.GetString(name))
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration; write it with a unit, like 10m or 90s", s)
	}
	inv.Cluster.RebootTimeout = d
	return nil
}
