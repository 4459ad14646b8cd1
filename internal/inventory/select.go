package inventory

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Name is the host's name in the inventory, unique among its hosts (Load
// refuses inventories where it would not be): the Hostname when set, else the
// Address, or [address]:port when another host shares the address on another
// port.
func (h Host) Name() string {
	switch {
	case h.Hostname != "":
		return h.Hostname
	case h.shared:
		return net.JoinHostPort(h.Address, strconv.Itoa(h.sshPort))
	}
	return h.Address
}

// markShared records each host's effective SSH port, and which hosts share
// their address with another host, so that Name tells them apart.
func (inv *Inventory) markShared() {
	count := map[string]int{}
	for i := range inv.Hosts {
		h := &inv.Hosts[i]
		h.sshPort = effectivePort(h.Port, inv.SSH.Port)
		count[canonicalAddress(h.Address)]++
	}
	for i := range inv.Hosts {
		inv.Hosts[i].shared = count[canonicalAddress(inv.Hosts[i].Address)] > 1
	}
}

func effectivePort(host, ssh int) int {
	switch {
	case host != 0:
		return host
	case ssh != 0:
		return ssh
	}
	return DefaultSSHPort
}

// Matches lists the hosts that name selects, ignoring case: the host whose
// Name or Hostname it is, every host with that Address, or the host at
// address:port ([address]:port for IPv6).
func (inv *Inventory) Matches(name string) []Host {
	var out []Host
	for _, h := range inv.Hosts {
		if h.matches(name) {
			out = append(out, h)
		}
	}
	return out
}

func (h Host) matches(name string) bool {
	if name == "" {
		return false // an empty name would match every host without a hostname
	}
	if strings.EqualFold(h.Name(), name) || strings.EqualFold(h.Hostname, name) {
		return true
	}
	if h.Address != "" && strings.EqualFold(canonicalAddress(h.Address), canonicalAddress(name)) {
		return true
	}
	host, port, err := net.SplitHostPort(name)
	return err == nil && strings.EqualFold(canonicalAddress(h.Address), canonicalAddress(host)) &&
		port == strconv.Itoa(h.sshPort)
}

// Host returns the one host that name selects (see Matches); false when none
// or several do.
func (inv *Inventory) Host(name string) (Host, bool) {
	if m := inv.Matches(name); len(m) == 1 {
		return m[0], true
	}
	return Host{}, false
}

// Select returns the hosts the names select, one host per name, in inventory
// order. A name that selects no host, or several (an address shared by hosts
// on different ports), is a *SelectError naming the choices.
func (inv *Inventory) Select(names []string) ([]Host, error) {
	want := map[string]bool{}
	for _, name := range names {
		m := inv.Matches(name)
		if len(m) != 1 {
			return nil, &SelectError{File: inv.File, Name: name, Matches: hostNames(m), Choices: hostNames(inv.Hosts)}
		}
		want[m[0].Name()] = true
	}
	var out []Host
	for _, h := range inv.Hosts {
		if want[h.Name()] {
			out = append(out, h)
		}
	}
	return out, nil
}

func hostNames(hosts []Host) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = h.Name()
	}
	return out
}

// SelectError is a host name that selects no host of the inventory, or
// several. It is bad input: callers map it to exit code 2.
type SelectError struct {
	File    string
	Name    string
	Matches []string // the hosts it selects; empty when none
	Choices []string // every host's Name
}

func (e *SelectError) Error() string {
	if len(e.Matches) > 1 {
		return fmt.Sprintf("%q is ambiguous in %s: it is the address of %s; give one of these names instead",
			e.Name, e.File, strings.Join(e.Matches, " and "))
	}
	return fmt.Sprintf("no host %q in %s; give a hostname, an address or address:port of one of its hosts: %s",
		e.Name, e.File, listChoices(e.Choices))
}

// listChoices joins up to 20 names, then says how many more there are.
func listChoices(names []string) string {
	const max = 20
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}
