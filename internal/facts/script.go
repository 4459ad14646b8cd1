package facts

import _ "embed"

//go:embed gather.sh
var script string

// Script returns the POSIX sh script that prints a host's facts for Parse.
//
// Run it as root through sudo (`sudo sh -s` with the script on stdin, or
// `sudo sh -c "$script"`); as an ordinary user it still runs, reports
// Privileged false and leaves ConfigHash empty when config.yaml is unreadable.
// It needs only sh, uname, od, tr, sed, awk, df and cat; a missing tool empties
// its field without stopping the script.
//
// Output format: a `k3sup_pi_facts=1` header, one `key=value` line per fact
// and an `end=ok` trailer. Keys ending in `_hex` hold raw bytes (cmdline.txt,
// /proc/cmdline, the device-tree model, os-release PRETTY_NAME) as lower-case
// hex, two digits per byte, produced by `od -An -v -tx1`; hex was chosen over
// base64 because od is in every coreutils and busybox, with no flag differences.
// Other values are one line of text, a decimal integer (empty when unknown) or
// a 0/1 boolean.
func Script() string { return script }
