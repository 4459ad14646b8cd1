// Package fleet starts and controls a fleet of Pi-like hosts for end-to-end
// tests: Docker containers on a private network, each running systemd as PID 1,
// OpenSSH (with its own host key), sudo and a Raspberry Pi OS cmdline.txt, all
// called raspberrypi like freshly flashed boards. Optional extras are an HTTPS
// mirror host trusted through a fleet CA and a bastion that is the only host
// allowed to reach the others' SSH port.
package fleet

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"golang.org/x/sync/errgroup"
)

const (
	// Label is the Docker label carried by every container and network of a
	// fleet; its value is the fleet name.
	Label = "k3sup-pi.fleet"
	// Prefix starts the name of every fleet container and network.
	Prefix = "k3suppi-"
	// Hostname is the hostname of every fleet host, as on a freshly flashed Pi.
	Hostname = "raspberrypi"
	// parallel bounds concurrent docker create/start calls.
	parallel = 8
)

// Options says which fleet to start.
type Options struct {
	Name    string    // fleet name: lower-case letters, digits and '-'
	N       int       // number of Pi-like hosts
	Mirror  bool      // add an HTTPS mirror host ("mirror") trusted by all hosts
	Bastion bool      // add a bastion; the hosts then accept SSH only from it
	Log     io.Writer // progress (nil: discard)
}

// Host is one container of a fleet.
type Host struct {
	Name      string // short name: pi-01, pi-02, ..., mirror, bastion
	Container string // Docker container name
	Addr      string // fixed IPv4 address on the fleet network
	alias     string
}

// Fleet is a running fleet. Its files live in Dir (e2e/.fleet/<name>/).
type Fleet struct {
	Name           string
	Dir            string // state directory
	Network        string // Docker network name
	Image          string // host image tag
	KeyPath        string // private ed25519 key authorized for users pi and admin
	KnownHostsPath string // known_hosts with every host's own ed25519 key
	InventoryPath  string // k3sup-pi inventory for Hosts
	CAPath         string // fleet CA certificate (PEM) when Mirror is set
	Hosts          []*Host
	// Mirror serves <Dir>/mirror-root over https://mirror/ (nil without Options.Mirror).
	Mirror *Host
	// Bastion, when set, is the only address from which Hosts accept port 22:
	// SSH to them must jump through Bastion.Addr (user pi, same key).
	Bastion *Host
	// AdminSudoPassword is what sudo asks user admin for.
	AdminSudoPassword string

	log io.Writer
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// Start builds (or reuses) the host image, removes any leftover fleet of the
// same name, and starts a new one. It returns when every host's systemd has
// finished booting and its sshd is active, with the key, known_hosts and
// inventory written.
func Start(ctx context.Context, o Options) (*Fleet, error) {
	if !nameRE.MatchString(o.Name) {
		return nil, fmt.Errorf("fleet name %q: want lower-case letters, digits and '-'", o.Name)
	}
	if o.N < 1 || o.N > 240 {
		return nil, fmt.Errorf("fleet %s: N=%d, want 1..240", o.Name, o.N)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := checkInotify(o.N+2, o.Log); err != nil {
		return nil, err
	}
	image, err := BuildImage(ctx, o.Log)
	if err != nil {
		return nil, err
	}
	f, err := newFleet(o, image)
	if err != nil {
		return nil, err
	}
	if err := f.Down(ctx); err != nil {
		return nil, err
	}
	if err := f.start(ctx, o); err != nil {
		return nil, fmt.Errorf("fleet %s: %w", o.Name, err)
	}
	return f, nil
}

// newFleet fills in the names and paths of a fleet (nothing is created yet).
func newFleet(o Options, image string) (*Fleet, error) {
	dir, err := e2eDir(".fleet", o.Name)
	if err != nil {
		return nil, err
	}
	f := &Fleet{
		Name: o.Name, Dir: dir, Network: Prefix + o.Name, Image: image,
		KeyPath:           filepath.Join(dir, "id_ed25519"),
		KnownHostsPath:    filepath.Join(dir, "known_hosts"),
		InventoryPath:     filepath.Join(dir, "inventory.yml"),
		AdminSudoPassword: AdminSudoPassword,
		log:               o.Log,
	}
	for i := 1; i <= o.N; i++ {
		f.Hosts = append(f.Hosts, f.newHost(fmt.Sprintf("pi-%02d", i)))
	}
	if o.Mirror {
		f.Mirror = f.newHost("mirror")
		f.Mirror.alias = "mirror"
		f.CAPath = filepath.Join(dir, "ca.crt")
	}
	if o.Bastion {
		f.Bastion = f.newHost("bastion")
	}
	return f, nil
}

func (f *Fleet) newHost(name string) *Host {
	return &Host{Name: name, Container: Prefix + f.Name + "-" + name}
}

// All returns the hosts followed by the mirror and the bastion, if any.
func (f *Fleet) All() []*Host {
	all := append([]*Host(nil), f.Hosts...)
	for _, h := range []*Host{f.Mirror, f.Bastion} {
		if h != nil {
			all = append(all, h)
		}
	}
	return all
}

// start creates the state, the network and the containers, then waits for them.
func (f *Fleet) start(ctx context.Context, o Options) error {
	t0 := time.Now()
	if err := os.RemoveAll(f.Dir); err != nil {
		return fmt.Errorf("clean state dir: %w", err)
	}
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return fmt.Errorf("create state dir: %w", err)
	}
	if err := f.writeKey(); err != nil {
		return err
	}
	if err := f.createNetwork(ctx); err != nil {
		return err
	}
	if f.Mirror != nil {
		if err := f.prepareMirror(ctx); err != nil {
			return err
		}
	}
	if err := f.forAll(ctx, parallel, f.createHost); err != nil {
		return err
	}
	fmt.Fprintf(f.log, "fleet %s: %d containers started in %s\n", f.Name, len(f.All()), time.Since(t0).Round(time.Millisecond))
	keys := make([]string, len(f.All()))
	err := f.forAllIndexed(ctx, 32, func(ctx context.Context, i int, h *Host) error {
		k, err := f.WaitReady(ctx, h, 5*time.Minute)
		keys[i] = k
		return err
	})
	if err != nil {
		return err
	}
	if err := f.writeKnownHosts(keys); err != nil {
		return err
	}
	fmt.Fprintf(f.log, "fleet %s: %d hosts ready in %s\n", f.Name, len(f.All()), time.Since(t0).Round(time.Millisecond))
	return f.writeInventory()
}

// forAll runs fn on every host, at most limit at a time, and returns the first error.
func (f *Fleet) forAll(ctx context.Context, limit int, fn func(context.Context, *Host) error) error {
	return f.forAllIndexed(ctx, limit, func(ctx context.Context, _ int, h *Host) error { return fn(ctx, h) })
}

func (f *Fleet) forAllIndexed(ctx context.Context, limit int, fn func(context.Context, int, *Host) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i, h := range f.All() {
		g.Go(func() error { return fn(ctx, i, h) })
	}
	return g.Wait()
}
