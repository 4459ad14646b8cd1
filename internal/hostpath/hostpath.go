// Package hostpath names the files k3s and k3sup-pi keep on a host.
package hostpath

// Paths on the hosts.
const (
	K3sConfig     = "/etc/rancher/k3s/config.yaml"           // k3s's config, rendered by k3sup-pi
	K3sYAML       = "/etc/rancher/k3s/k3s.yaml"              // the admin kubeconfig k3s writes on servers
	NodeToken     = "/var/lib/rancher/k3s/server/node-token" // the token nodes join with
	K3sBinary     = "/usr/local/bin/k3s"
	StageDir      = "/var/lib/k3sup-pi"          // k3sup-pi's own: the staged installer, the cmdline record
	InstallScript = StageDir + "/install.sh"     // the staged k3s installer
	CmdlineRecord = StageDir + "/cmdline.record" // what k3sup-pi last wrote to cmdline.txt (path, sha256, flags added)
	// CmdlineBackupSuffix is appended to cmdline.txt for the copy k3sup-pi
	// keeps of the file as it was before k3sup-pi's last write.
	CmdlineBackupSuffix = ".k3sup-pi.bak"
)
