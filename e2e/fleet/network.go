package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Address offsets inside the fleet subnet (the gateway is usually .1).
const (
	mirrorOffset  = 2
	bastionOffset = 3
	hostOffset    = 10
)

// createNetwork creates the fleet's bridge network. Docker picks a free subnet;
// the network is then re-created with that subnet pinned, because Docker only
// honours fixed container addresses (--ip) on networks with a user-set subnet.
// Every host gets its fixed address, so addresses survive restarts. Another
// network may take the subnet in between; then it tries again.
func (f *Fleet) createNetwork(ctx context.Context) error {
	var err error
	for range 3 {
		var subnet netip.Prefix
		if subnet, err = f.pinNetwork(ctx); err == nil {
			return f.assignAddrs(subnet)
		}
	}
	return err
}

// pinNetwork creates the network with a subnet Docker picks, then re-creates
// it with that subnet and gateway set explicitly, and returns the subnet.
func (f *Fleet) pinNetwork(ctx context.Context) (netip.Prefix, error) {
	label := Label + "=" + f.Name
	_, err := docker(ctx, "network", "create", "--label", label, f.Network)
	if err != nil && strings.Contains(err.Error(), "already exists") {
		// A phantom network of an earlier fleet (see removeNetwork) keeps the name.
		f.Network += "-" + randomHex(3)
		_, err = docker(ctx, "network", "create", "--label", label, f.Network)
	}
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("create network: %w", err)
	}
	out, err := docker(ctx, "network", "inspect", "--format",
		"{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}", f.Network)
	if _, rmErr := docker(ctx, "network", "rm", f.Network); err == nil && rmErr != nil {
		err = rmErr
	}
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("inspect network: %w", err)
	}
	fields := strings.Fields(out)
	if len(fields) == 0 {
		return netip.Prefix{}, fmt.Errorf("network %s has no IPv4 subnet (%q)", f.Network, out)
	}
	subnet, err := netip.ParsePrefix(fields[0])
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("network %s subnet: %w", f.Network, err)
	}
	args := []string{"network", "create", "--label", label, "--subnet", subnet.String()}
	if len(fields) > 1 {
		args = append(args, "--gateway", fields[1])
	}
	if _, err := docker(ctx, append(args, f.Network)...); err != nil {
		return netip.Prefix{}, fmt.Errorf("create network with subnet %s: %w", subnet, err)
	}
	return subnet, nil
}

// assignAddrs gives every host its fixed address in subnet.
func (f *Fleet) assignAddrs(subnet netip.Prefix) error {
	size := 1 << (32 - subnet.Bits())
	if hostOffset+len(f.Hosts)+1 > size {
		return fmt.Errorf("subnet %s is too small for %d hosts", subnet, len(f.Hosts))
	}
	at := func(off int) string {
		a := subnet.Masked().Addr().As4()
		n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
		n += uint32(off)
		return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}).String()
	}
	for i, h := range f.Hosts {
		h.Addr = at(hostOffset + i)
	}
	if f.Mirror != nil {
		f.Mirror.Addr = at(mirrorOffset)
	}
	if f.Bastion != nil {
		f.Bastion.Addr = at(bastionOffset)
	}
	return nil
}

// Down removes the fleet's containers and network (its state dir stays).
func (f *Fleet) Down(ctx context.Context) error { return Stop(ctx, f.Name) }

// DownAll removes every fleet container and network on this Docker Engine:
// all that carry the fleet label, and networks whose name starts with Prefix.
func DownAll(ctx context.Context) error {
	return down(ctx, "label="+Label, "")
}

// down removes the containers matching filter, then the matching networks.
func down(ctx context.Context, filter, network string) error {
	out, err := docker(ctx, "ps", "-aq", "--filter", filter)
	if err != nil {
		return fmt.Errorf("list fleet containers: %w", err)
	}
	ids := lines(out)
	for len(ids) > 0 {
		n := min(len(ids), 40)
		if _, err := docker(ctx, append([]string{"rm", "-f", "-v"}, ids[:n]...)...); err != nil {
			return fmt.Errorf("remove fleet containers: %w", err)
		}
		ids = ids[n:]
	}
	nets, err := fleetNetworks(ctx, filter, network)
	if err != nil {
		return err
	}
	for _, n := range nets {
		if err := removeNetwork(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// removeNetwork removes one fleet network. Right after `rm -f` of 120
// containers the Engine can still list endpoints on it ("has active
// endpoints"), or a container created meanwhile may be attached: those are
// removed too, and the removal is tried again for at most networkRmWait.
// Docker Engine 20.10 can also keep phantom endpoints for good (no container
// attached, none to disconnect; only a daemon restart clears them): such a
// network is left behind with a warning, since nothing of the fleet runs on it
// and a new fleet of that name takes another network name (pinNetwork).
func removeNetwork(ctx context.Context, n string) error {
	deadline := time.Now().Add(networkRmWait)
	for {
		_, err := docker(ctx, "network", "rm", n)
		switch {
		case err == nil || strings.Contains(err.Error(), "not found") || strings.Contains(err.Error(), "No such network"):
			return nil
		case !strings.Contains(err.Error(), "active endpoints"):
			return fmt.Errorf("remove fleet network: %w", err)
		}
		out, ierr := docker(ctx, "network", "inspect", "-f", "{{range $id, $c := .Containers}}{{$id}} {{end}}", n)
		ids := strings.Fields(out)
		if ierr == nil && len(ids) > 0 {
			_, _ = docker(ctx, append([]string{"rm", "-f", "-v"}, ids...)...)
		}
		if time.Now().After(deadline) {
			if ierr == nil && len(ids) == 0 {
				fmt.Fprintf(os.Stderr, "fleet: network %s keeps phantom endpoints with no container attached (a Docker Engine fault); left behind\n", n)
				return nil
			}
			return fmt.Errorf("remove fleet network: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// networkRmWait bounds how long removeNetwork waits for endpoints to go.
const networkRmWait = 20 * time.Second

// fleetNetworks lists the ids of networks matching the label filter, plus the
// network called name (or, when name is empty, every network named Prefix*).
func fleetNetworks(ctx context.Context, filter, name string) ([]string, error) {
	out, err := docker(ctx, "network", "ls", "-q", "--filter", filter)
	if err != nil {
		return nil, fmt.Errorf("list fleet networks: %w", err)
	}
	ids := lines(out)
	out, err = docker(ctx, "network", "ls", "--format", "{{.ID}} {{.Name}}")
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	for _, l := range lines(out) {
		id, n, _ := strings.Cut(l, " ")
		if n == name || (name == "" && strings.HasPrefix(n, Prefix)) {
			ids = append(ids, id)
		}
	}
	return dedupe(ids), nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

const inotifyPath = "/proc/sys/fs/inotify/max_user_instances"

// checkInotify makes sure the kernel allows enough inotify instances for
// hosts systemd containers (each takes several; the default 128 stops a
// large fleet from booting). It raises the limit when it can, else says how.
func checkInotify(hosts int, log io.Writer) error {
	b, err := os.ReadFile(inotifyPath)
	if err != nil {
		return nil // not Linux procfs: nothing to check
	}
	have, err := strconv.Atoi(strings.TrimSpace(string(b)))
	want := 512 + 16*hosts
	if err != nil || have >= want {
		return nil
	}
	if err := os.WriteFile(inotifyPath, []byte(strconv.Itoa(want)), 0o644); err != nil {
		return fmt.Errorf("fs.inotify.max_user_instances is %d, %d hosts need %d: run sysctl -w fs.inotify.max_user_instances=%d (%v)",
			have, hosts, want, want, err)
	}
	fmt.Fprintf(log, "raised fs.inotify.max_user_instances from %d to %d for %d systemd hosts\n", have, want, hosts)
	return nil
}

// Stop removes the containers and network of the fleet called name.
func Stop(ctx context.Context, name string) error {
	return down(ctx, "label="+Label+"="+name, Prefix+name)
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
