package remote

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHostsMu serialises the accept-new check-and-append of the parallel
// dials of one run, so that two dials of one host record it once.
var knownHostsMu sync.Mutex

// knownHostsName is the known_hosts form of host and port: host alone for
// port 22, else [host]:port (OpenSSH's put_host_port).
func knownHostsName(host string, port int) string {
	return knownhosts.Normalize(net.JoinHostPort(host, strconv.Itoa(port)))
}

// openSSHName is the name OpenSSH looks up in (and adds to) known_hosts for
// ep: the HostKeyAlias when ssh_config sets one, as is (no port), else the
// HostName lowercased, as [host]:port when the port is not 22. See
// get_hostfile_hostname_ipaddr in OpenSSH's sshconnect.c; ssh(1) lowercases
// the host name before it looks it up (`ssh -G` shows it).
func openSSHName(ep endpoint) string {
	if ep.keyAlias != "" {
		return strings.ToLower(ep.keyAlias)
	}
	return knownHostsName(strings.ToLower(ep.host), ep.port)
}

// lookupAddrs are the host:port addresses checked against known_hosts, in
// order: OpenSSH's name first (the one a new key is recorded under), then
// the same name as written (x/crypto's knownhosts matches case-sensitively,
// OpenSSH does not, so a hand-written "PI-01" entry must still match), then
// the alias, which earlier k3sup-pi versions recorded keys under.
func lookupAddrs(ep endpoint) []string {
	name, port := ep.host, strconv.Itoa(ep.port)
	if ep.keyAlias != "" {
		name, port = ep.keyAlias, "22" // a HostKeyAlias is looked up without the port
	}
	var addrs []string
	for _, a := range []string{
		net.JoinHostPort(strings.ToLower(name), port),
		net.JoinHostPort(name, port),
		net.JoinHostPort(ep.alias, strconv.Itoa(ep.port)),
	} {
		if !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// appendKnownHost adds one "name key" line to file, creating the file (0600)
// and its directory (0700) when missing. When the file does not end in a
// newline (edited by hand), one is written first so that the new line is
// not glued to the last one. The line goes out in one write(2) on an
// O_APPEND descriptor, so lines of concurrent writers (another k3sup-pi, or
// ssh itself) never interleave or overwrite each other; a racing writer can
// at worst leave an empty line, which every parser skips.
func appendKnownHost(file, name string, key ssh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("create the directory of known_hosts: %w", err)
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open known_hosts: %w", err)
	}
	line := knownhosts.Line([]string{name}, key) + "\n"
	lf, err := endsInNewline(f)
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("read known_hosts %s: %w", file, err)
	}
	if !lf {
		line = "\n" + line
	}
	if _, err := f.WriteString(line); err != nil {
		_ = f.Close()
		return fmt.Errorf("append to known_hosts %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("append to known_hosts %s: %w", file, err)
	}
	return nil
}

// endsInNewline reports whether f is empty or ends in '\n'.
func endsInNewline(f *os.File) (bool, error) {
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	if st.Size() == 0 {
		return true, nil
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, st.Size()-1); err != nil && err != io.EOF {
		return false, err
	}
	return last[0] == '\n', nil
}
