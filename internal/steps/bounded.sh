# shellcheck shell=sh
# k3sup-pi bounded: run a step that can block for ever with a deadline on the host.
# Arguments: the limit in seconds, then the command and its arguments.
# timeout(1) signals the whole process group (the installer and the
# systemctl it waits on), TERM first, KILL 5 s later, and exits 124. A host
# without a working timeout(1) runs the command bare; the client still ends
# the session at its own deadline.
limit=$1
shift
if timeout -k 5 1 true >/dev/null 2>&1; then
	exec timeout -k 5 "$limit" "$@"
fi
exec "$@"
