package remote

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/localfile"
	"github.com/kevinburke/ssh_config"
)

// endpoint is a host with ssh_config and inventory settings merged.
type endpoint struct {
	alias          string // the name as written, for messages
	host           string // network host (HostName)
	keyAlias       string // ssh_config HostKeyAlias: the known_hosts name when set
	port           int
	user           string
	keyFiles       []string
	explicitKeys   bool // keys came from the inventory: missing files are errors
	identitiesOnly bool
	jumps          []endpoint
}

func (e endpoint) addr() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// sshConfig wraps an optional parsed ssh_config file.
type sshConfig struct {
	cfg         *ssh_config.Config
	defaultUser string // Options.DefaultUser: the login when neither the target nor the file names one
}

func loadSSHConfig(file string) (sshConfig, error) {
	if file == "none" {
		return sshConfig{}, nil
	}
	explicit := file != ""
	if !explicit {
		home, err := os.UserHomeDir()
		if err != nil {
			return sshConfig{}, nil
		}
		file = filepath.Join(home, ".ssh", "config")
	}
	f, err := localfile.Open(file, localfile.MaxConfig)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return sshConfig{}, nil
	}
	if err != nil {
		return sshConfig{}, fmt.Errorf("open ssh config: %w", err)
	}
	defer f.Close()
	cfg, err := ssh_config.Decode(f)
	if err != nil {
		return sshConfig{}, fmt.Errorf("parse ssh config %s: %w", file, err)
	}
	return sshConfig{cfg: cfg}, nil
}

func (c sshConfig) get(alias, key string) string {
	if c.cfg == nil {
		return ""
	}
	v, _ := c.cfg.Get(alias, key)
	return strings.TrimSpace(v)
}

func (c sshConfig) getAll(alias, key string) []string {
	if c.cfg == nil {
		return nil
	}
	v, _ := c.cfg.GetAll(alias, key)
	return v
}

// resolve merges t with ssh_config; Target fields win.
func resolve(t Target, c sshConfig) (endpoint, error) {
	if t.Alias == "" {
		return endpoint{}, errors.New("target has no address")
	}
	ep, err := resolveHost(t.Alias, t.Port, t.User, c)
	if err != nil {
		return endpoint{}, err
	}
	if len(t.KeyFiles) > 0 {
		ep.keyFiles, ep.explicitKeys = nil, true
		for _, k := range t.KeyFiles {
			ep.keyFiles = append(ep.keyFiles, expandPath(k, ep))
		}
	}
	jump := t.ProxyJump
	if jump == "" {
		jump = c.get(t.Alias, "ProxyJump")
	}
	if jump != "" && jump != "none" {
		for _, spec := range strings.Split(jump, ",") {
			j, err := parseJump(strings.TrimSpace(spec), c)
			if err != nil {
				return endpoint{}, err
			}
			// A bastion with no IdentityFile of its own in ssh_config is
			// offered the keys the inventory gave for the host behind it.
			if ep.explicitKeys && len(c.getAll(j.alias, "IdentityFile")) == 0 {
				j.keyFiles, j.explicitKeys = ep.keyFiles, true
			}
			ep.jumps = append(ep.jumps, j)
		}
	}
	return ep, nil
}

// resolveHost resolves one host name through ssh_config, without ProxyJump.
func resolveHost(alias string, port int, login string, c sshConfig) (endpoint, error) {
	ep := endpoint{alias: alias, host: alias, port: port, user: login}
	if hn := c.get(alias, "HostName"); hn != "" {
		ep.host = strings.ReplaceAll(hn, "%h", alias)
	}
	if ep.port == 0 {
		if p := c.get(alias, "Port"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n <= 0 || n > 65535 {
				return endpoint{}, fmt.Errorf("ssh config: bad Port %q for %s", p, alias)
			}
			ep.port = n
		}
	}
	if ep.port == 0 {
		ep.port = 22
	}
	if ep.user == "" {
		ep.user = c.get(alias, "User")
	}
	if ep.user == "" {
		ep.user = c.defaultUser
	}
	if ep.user == "" {
		ep.user = currentUser()
	}
	for _, k := range c.getAll(alias, "IdentityFile") {
		ep.keyFiles = append(ep.keyFiles, expandPath(strings.Trim(k, `"`), ep))
	}
	ep.identitiesOnly = strings.EqualFold(c.get(alias, "IdentitiesOnly"), "yes")
	ep.keyAlias = c.get(alias, "HostKeyAlias")
	return ep, nil
}

// parseJump parses "[user@]host[:port]" and resolves host via ssh_config.
func parseJump(spec string, c sshConfig) (endpoint, error) {
	spec = strings.TrimPrefix(spec, "ssh://")
	var login string
	if i := strings.LastIndex(spec, "@"); i >= 0 {
		login, spec = spec[:i], spec[i+1:]
	}
	host, port := spec, 0
	if strings.HasPrefix(spec, "[") || strings.Count(spec, ":") == 1 {
		h, p, err := net.SplitHostPort(spec)
		if err != nil {
			return endpoint{}, fmt.Errorf("bad ProxyJump host %q: %w", spec, err)
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return endpoint{}, fmt.Errorf("bad ProxyJump port in %q", spec)
		}
		host, port = h, n
	}
	if host == "" {
		return endpoint{}, fmt.Errorf("bad ProxyJump host %q", spec)
	}
	return resolveHost(host, port, login, c)
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// expandPath expands ~ and the %d %h %r %u tokens of an IdentityFile.
func expandPath(p string, ep endpoint) string {
	home, _ := os.UserHomeDir()
	if p == "~" || strings.HasPrefix(p, "~/") {
		p = filepath.Join(home, strings.TrimPrefix(p, "~"))
	}
	r := strings.NewReplacer("%d", home, "%h", ep.host, "%r", ep.user, "%u", currentUser(), "%%", "%")
	return r.Replace(p)
}
