package inventory

import (
	"regexp"
	"strings"
	"unicode"
)

// secretPaths hold secrets (token, datastore_endpoint with its password), or
// a key where a secret is often typed by mistake: sudo_password_env takes the
// NAME of a variable, and a password put there instead must not be echoed.
var secretPaths = map[string]bool{
	"cluster.token": true, "cluster.datastore_endpoint": true, "ssh.sudo_password_env": true,
}

// secretWordRE matches key names that look meant for a secret.
var secretWordRE = regexp.MustCompile(`(?i)(token|passw|secret|passphrase|credential|private)`)

// secretPath reports whether the value at path must never be quoted in a
// message: a known secret key, or any key whose name looks like one (unknown
// keys and k3s settings included), except keys naming a file.
func secretPath(path string) bool {
	if secretPaths[path] {
		return true
	}
	last := path[strings.LastIndexAny(path, ".[")+1:]
	last = strings.TrimSuffix(last, "]")
	if strings.HasSuffix(last, "_file") || strings.HasSuffix(last, "-file") {
		return false
	}
	return secretWordRE.MatchString(last)
}

// withheld is said instead of a secret value.
const withheld = "value withheld"

// checkSecret refuses a blank secret, or one with white space around it that
// would become part of it; the message never holds the value.
func checkSecret(v, orElse string) string {
	switch {
	case strings.TrimSpace(v) == "":
		return "is blank; give the secret, or " + orElse
	case strings.TrimSpace(v) != v:
		return "starts or ends with white space (" + withheld + "); remove it, it would become part of the secret"
	case strings.ContainsFunc(v, unicode.IsControl):
		return "holds a line break or another control character (" + withheld + "); a secret is one line of printable characters"
	}
	return ""
}
