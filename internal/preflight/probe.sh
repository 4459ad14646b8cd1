# shellcheck shell=sh
# k3sup-pi reachability probe: arguments: the connect timeout in seconds, then
# the URLs to probe. Every URL is probed in the background; one line per URL:
# "index<TAB>curl's exit code<TAB>curl's output", where curl prints
# TC=<seconds to connect> (0 when the handshake never completed) next to its
# error message. Without curl it prints "curl-missing".
t=$1
shift
probe() {
	m=$(curl -sSk --connect-timeout "$t" --max-time $((t + 3)) -o /dev/null -w ' TC=%{time_connect}' "$2" 2>&1)
	c=$?
	printf '%s\t%s\t%s\n' "$1" "$c" "$(printf '%s' "$m" | tr '\t\n' '  ')"
}
command -v curl >/dev/null 2>&1 || {
	echo "curl-missing"
	exit 0
}
i=0
for u; do
	probe "$i" "$u" &
	i=$((i + 1))
done
wait
