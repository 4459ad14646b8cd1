# shellcheck shell=sh
# k3sup-pi doctor: write up to COUNT synced blocks of BLOCK bytes into a temp
# file in the data dir (or its nearest existing parent), timed on the host in
# nanoseconds, stopped after SECONDS, and remove the file. Arguments: the
# data dir, SECONDS, BLOCK, COUNT. Prints key=value lines.
d=$1
while [ ! -d "$d" ]; do d=$(dirname "$d"); done
f="$d/.k3sup-pi-fsync"
trap 'rm -f "$f"' EXIT
echo "dir=$d"
echo "device=$(df -P "$d" 2>/dev/null | awk 'NR==2 {print $1}')"
s=$(date +%s%N)
timeout "$2" dd if=/dev/zero of="$f" bs="$3" count="$4" oflag=dsync 2>/dev/null
echo "rc=$?"
e=$(date +%s%N)
echo "bytes=$(stat -c %s "$f" 2>/dev/null || echo 0)"
echo "start=$s"
echo "end=$e"
