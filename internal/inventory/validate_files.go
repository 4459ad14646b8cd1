package inventory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/localfile"
)

// files checks every local file the inventory names when it is loaded, so
// that a wrong path stops the run before any host is touched instead of
// when the file is first used (the kubeconfig only after the cluster is built).
func (v *validator) files() {
	s := v.inv.SSH
	v.keyFile("ssh.key", s.Key)
	for i, h := range v.inv.Hosts {
		v.keyFile(fmt.Sprintf("hosts[%d].key", i), h.Key)
	}
	v.knownHosts(s.KnownHosts)
	if s.ConfigFile != "" && s.ConfigFile != NoSSHConfig {
		v.check("ssh.config_file", readProblem(s.ConfigFile, localfile.MaxConfig, "the ssh_config file to read host aliases from"))
	}
	v.sudoPasswordFile(s.SudoPasswordFile)
	v.kubeconfigPath(v.inv.Cluster.Kubeconfig)
}

// readProblem says why file cannot be read as a regular file of at most max
// bytes, or returns "". what names the file in the message when it is missing.
func readProblem(file string, max int64, what string) string {
	_, msg := readFile(file, max, what)
	return msg
}

func readFile(file string, max int64, what string) ([]byte, string) {
	data, err := localfile.Read(context.Background(), file, max)
	var le *localfile.Error
	switch {
	case err == nil:
		return data, ""
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Sprintf("%s does not exist; give %s", file, what)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Sprintf("cannot read %s: permission denied", file)
	case errors.As(err, &le):
		return nil, le.Error()
	}
	return nil, fmt.Sprintf("cannot read %s: %v", file, err)
}

// keyFile checks an SSH private key file: readable, and a private key, not
// the public half or a PuTTY key. The key itself is never quoted.
func (v *validator) keyFile(path, file string) {
	if file == "" {
		return
	}
	data, msg := readFile(file, localfile.MaxKey, "the private key file, like ~/.ssh/id_ed25519")
	if msg == "" {
		msg = keyProblem(file, string(data))
	}
	v.check(path, msg)
}

func keyProblem(file, data string) string {
	switch {
	case strings.Contains(data, "PRIVATE KEY-----"):
		return ""
	case strings.HasPrefix(data, "ssh-") || strings.HasPrefix(data, "ecdsa-") || strings.HasPrefix(data, "sk-"):
		return fmt.Sprintf("%s is a public key; give the private key (the file without .pub)", file)
	case strings.HasPrefix(data, "PuTTY-User-Key-File"):
		return fmt.Sprintf("%s is a PuTTY key; convert it with: puttygen %s -O private-openssh -o %s", file, file, strings.TrimSuffix(file, ".ppk"))
	}
	return fmt.Sprintf("%s is not an SSH private key (it has no \"BEGIN ... PRIVATE KEY\" line)", file)
}

// knownHosts checks the known_hosts file: readable when it exists; when it
// does not, its directory must exist (--accept-new-host-keys creates it there).
func (v *validator) knownHosts(file string) {
	if file == "" {
		return
	}
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		dir := filepath.Dir(file)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			v.check("ssh.known_hosts", fmt.Sprintf("%s does not exist, and neither does its directory %s; create the directory or fix the path", file, dir))
		}
		return
	}
	v.check("ssh.known_hosts", readProblem(file, localfile.MaxKnownHosts, "the known_hosts file"))
}

// sudoPasswordFile checks the file is readable and not empty; its content is
// never quoted.
func (v *validator) sudoPasswordFile(file string) {
	if file == "" {
		return
	}
	data, msg := readFile(file, localfile.MaxSecret, "a file holding the sudo password")
	if msg == "" && strings.TrimRight(string(data), "\r\n") == "" {
		msg = fmt.Sprintf("%s is empty; put the sudo password in it", file)
	}
	v.check("ssh.sudo_password_file", msg)
}

// kubeconfigPath checks where `up` will write the kubeconfig: not a
// directory or special file, and the nearest existing directory on its path
// is a directory k3sup-pi may write in (missing ones are created).
func (v *validator) kubeconfigPath(file string) {
	if file == "" || !v.inv.given("cluster.kubeconfig") {
		return
	}
	if st, err := os.Stat(file); err == nil && !st.Mode().IsRegular() {
		v.check("cluster.kubeconfig", (&localfile.Error{Path: file, Reason: "is " + describeMode(st.Mode()) + ", not a regular file; give the path of the kubeconfig file to write"}).Error())
		return
	}
	for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		switch {
		case err == nil && !st.IsDir():
			v.check("cluster.kubeconfig", fmt.Sprintf("%s is not a directory, so %s cannot be written", dir, file))
			return
		case err == nil && !writable(dir):
			v.check("cluster.kubeconfig", fmt.Sprintf("cannot write in %s; choose a kubeconfig path in a directory you may write to", dir))
			return
		case err == nil, filepath.Dir(dir) == dir:
			return
		case !errors.Is(err, fs.ErrNotExist):
			v.check("cluster.kubeconfig", fmt.Sprintf("cannot check %s: %v", dir, err))
			return
		}
	}
}

func describeMode(m fs.FileMode) string {
	if m.IsDir() {
		return "a directory"
	}
	return "a special file (" + m.Type().String() + ")"
}
