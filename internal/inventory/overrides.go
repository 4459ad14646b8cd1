package inventory

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Key is an inventory value that a caller may replace after loading, named
// by its key path ("cluster.batch_size").
type Key string

// The keys ApplyOverrides accepts, in the order it applies and reports them.
const (
	KeyK3sVersion    Key = "cluster.k3s_version"
	KeyChannel       Key = "cluster.channel"
	KeyBatchSize     Key = "cluster.batch_size"
	KeyKubeconfig    Key = "cluster.kubeconfig"
	KeyConcurrency   Key = "cluster.concurrency"
	KeyUser          Key = "ssh.user"
	KeySSHKey        Key = "ssh.key"
	KeyKnownHosts    Key = "ssh.known_hosts"
	KeyInstallSource Key = "cluster.install.source"
	KeyRebootTimeout Key = "cluster.reboot_timeout"
	KeyMaxFailures   Key = "cluster.max_failures"
)

// OverrideKeys lists every Key in the order ApplyOverrides applies them.
var OverrideKeys = []Key{KeyK3sVersion, KeyChannel, KeyBatchSize, KeyKubeconfig, KeyConcurrency,
	KeyUser, KeySSHKey, KeyKnownHosts, KeyInstallSource, KeyRebootTimeout, KeyMaxFailures}

// Value is one replacement: Text as the user wrote it (an empty Text is a
// value too), and Origin, which names where it came from in messages, as in
// "(set by ORIGIN)".
type Value struct {
	Text, Origin string
}

// Overrides are the values that replace the file's; a key that is absent
// leaves the file value alone.
type Overrides map[Key]Value

// setters turn an override's text into the inventory's field.
var setters = map[Key]func(inv *Inventory, o Overrides, text string) error{
	KeyK3sVersion:    setVersion,
	KeyChannel:       setChannel,
	KeyBatchSize:     intSetter(func(i *Inventory) *int { return &i.Cluster.BatchSize }),
	KeyKubeconfig:    pathSetter(func(i *Inventory) *string { return &i.Cluster.Kubeconfig }),
	KeyConcurrency:   intSetter(func(i *Inventory) *int { return &i.Cluster.Concurrency }),
	KeyUser:          strSetter(func(i *Inventory) *string { return &i.SSH.User }),
	KeySSHKey:        pathSetter(func(i *Inventory) *string { return &i.SSH.Key }),
	KeyKnownHosts:    pathSetter(func(i *Inventory) *string { return &i.SSH.KnownHosts }),
	KeyInstallSource: strSetter(func(i *Inventory) *string { return &i.Cluster.Install.Source }),
	KeyRebootTimeout: setRebootTimeout,
	KeyMaxFailures:   strSetter(func(i *Inventory) *string { return &i.Cluster.MaxFailures }),
}

// ApplyOverrides replaces file values with o, then validates the inventory
// again. Paths given this way are relative to the working directory, not the
// inventory. Problems come back as an *Error; each names its key and ends in
// "(set by ORIGIN)". A key that is not one of OverrideKeys is a problem too.
func ApplyOverrides(inv *Inventory, o Overrides) error {
	if len(o) == 0 {
		return nil
	}
	if inv.pos == nil {
		inv.pos = map[string]pos{}
	}
	var ps problems
	for _, k := range slices.Sorted(maps.Keys(o)) {
		if setters[k] == nil {
			ps.add(pos{origin: o[k].Origin}, string(k), "cannot be overridden")
		}
	}
	for _, k := range OverrideKeys {
		v, ok := o[k]
		if !ok {
			continue
		}
		origin := pos{origin: v.Origin}
		if err := setters[k](inv, o, v.Text); err != nil {
			ps.add(origin, string(k), "%v", err)
			continue
		}
		inv.pos[string(k)] = origin
	}
	if len(ps.list) == 0 {
		validate(inv, &ps)
	}
	return ps.err(inv.File)
}

func strSetter(field func(*Inventory) *string) func(*Inventory, Overrides, string) error {
	return func(inv *Inventory, _ Overrides, s string) error {
		*field(inv) = s
		return nil
	}
}

func pathSetter(field func(*Inventory) *string) func(*Inventory, Overrides, string) error {
	return func(inv *Inventory, _ Overrides, p string) error {
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

func intSetter(field func(*Inventory) *int) func(*Inventory, Overrides, string) error {
	return func(inv *Inventory, _ Overrides, s string) error {
		s = strings.TrimSpace(s)
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		*field(inv) = n
		return nil
	}
}

// setVersion sets k3s_version and, unless a channel is given too, drops the
// file's channel: the override means "this exact version".
func setVersion(inv *Inventory, o Overrides, s string) error {
	inv.Cluster.K3sVersion = s
	if _, both := o[KeyChannel]; !both {
		inv.Cluster.Channel = ""
		delete(inv.pos, string(KeyChannel))
	}
	if inv.Cluster.K3sVersion == "" && inv.Cluster.Channel == "" {
		inv.Cluster.Channel = DefaultChannel
	}
	return nil
}

// setChannel sets channel and, unless a version is given too, drops the file's version.
func setChannel(inv *Inventory, o Overrides, s string) error {
	inv.Cluster.Channel = s
	if _, both := o[KeyK3sVersion]; !both {
		inv.Cluster.K3sVersion = ""
		delete(inv.pos, string(KeyK3sVersion))
	}
	if inv.Cluster.Channel == "" && inv.Cluster.K3sVersion == "" {
		inv.Cluster.Channel = DefaultChannel
	}
	return nil
}

func setRebootTimeout(inv *Inventory, _ Overrides, s string) error {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration; write it with a unit, like 10m or 90s", s)
	}
	inv.Cluster.RebootTimeout = d
	return nil
}
