# shellcheck shell=sh
# k3sup-pi's run lock on one host: a lease file on the root file system.
# The caller puts the arguments first, as data:
#   set -- ACTION DIR RUNDIR PROC ID TTL GRACE STEAL OPERATOR MACHINE PID COMMAND STARTED
# ACTION  probe (writes no lease), acquire, renew or release
# DIR     where the lease lives (/var/lib); the critical section holds flock(1) on it
# RUNDIR  /run, a tmpfs every boot empties
# PROC    /proc (fake ones in tests): boot_id and uptime come from there
# ID      this run's id; TTL and GRACE in seconds; STEAL the id of a lease whose
#         holder is known to be dead (its pid is gone on the caller's machine), or -
# The rest describes the holder, for the lease file and the messages of others.
# Time is the host's uptime, never its wall clock (a Pi has no RTC): a lease is
# live while uptime < until within the boot that wrote it. A lease of an
# earlier boot is live for GRACE seconds from the first look at it in this
# boot, recorded in RUNDIR (so that it counts from this boot even where uptime
# does not restart at a reboot, as in a container): a run that reboots its host
# keeps its lock until it is back to renew it.
# Prints status=WORD, then the current holder's fields as holder.KEY=VALUE and
# left=SECONDS for a live lease.
set -eu
action=$1 dir=$2 rundir=$3 proc=$4 id=$5 ttl=$6 grace=$7 steal=$8
operator=$9 machine=${10} pid=${11} command=${12} started=${13}
lease=$dir/k3sup-pi.lock
seen=$rundir/k3sup-pi.lock.seen
boot=$(cat "$proc/sys/kernel/random/boot_id")
up=$(sed "s/[. ].*//" "$proc/uptime")

# field prints the value of key $2 in the lease text $1.
field() { printf '%s\n' "$1" | sed -n "s/^$2=//p" | head -n 1; }
isnum() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }

# judge reads the lease once (a release may remove it meanwhile) and sets
# state to free, corrupt, ours, live or expired (and left when live).
judge() {
	left=0
	if ! text=$(cat "$lease" 2>/dev/null); then state=free; return; fi
	if [ "$(printf '%s\n' "$text" | head -n 1)" != "k3sup-pi-lock 1" ]; then state=corrupt; return; fi
	l_id=$(field "$text" id) l_boot=$(field "$text" boot)
	l_until=$(field "$text" until) l_grace=$(field "$text" grace)
	if [ -z "$l_id" ] || [ -z "$l_boot" ] || ! isnum "$l_until" || ! isnum "$l_grace"; then
		state=corrupt; return
	fi
	if [ "$l_id" = "$id" ]; then state=ours; return; fi
	if [ "$l_boot" = "$boot" ]; then left=$((l_until - up)); else left=$((l_grace - $(since))); fi
	if [ "$left" -gt 0 ]; then state=live; else state=expired; fi
}

# since prints the seconds since this boot first saw a lease of an earlier
# boot, recording the first look in RUNDIR.
since() {
	s=$(cat "$seen" 2>/dev/null || true)
	first=$(field "$s" up)
	if [ "$(field "$s" boot)" != "$boot" ] || ! isnum "$first"; then
		first=$up
		printf 'boot=%s\nup=%s\n' "$boot" "$up" >"$seen.tmp" && mv -f "$seen.tmp" "$seen"
	fi
	echo $((up - first))
}

# holder prints the lease's holder fields.
holder() {
	printf '%s\n' "$text" | grep -E '^(id|operator|machine|pid|command|started)=' | sed 's/^/holder./' || true
}

# write replaces the lease with this run's, through a temp file beside it
# that is checked before the rename.
write() {
	until=$((up + ttl))
	t=$(mktemp "$dir/.k3sup-pi.lock.XXXXXX")
	trap 'rm -f "$t"' EXIT
	printf 'k3sup-pi-lock 1\nid=%s\noperator=%s\nmachine=%s\npid=%s\ncommand=%s\nstarted=%s\nboot=%s\nuntil=%s\ngrace=%s\n' \
		"$id" "$operator" "$machine" "$pid" "$command" "$started" "$boot" "$until" "$grace" >"$t"
	written=$(cat "$t")
	if [ "$(field "$written" id)" != "$id" ] || [ "$(field "$written" until)" != "$until" ] || [ "$(field "$written" grace)" != "$grace" ]; then
		echo "the new lock file $t did not read back as written" >&2
		exit 1
	fi
	chmod 0644 "$t"
	mv -f "$t" "$lease"
	trap - EXIT
	rm -f "$seen" # the new lease is of this boot
}

command -v flock >/dev/null || { echo "flock(1) is missing (util-linux)" >&2; exit 1; }
exec 9<"$dir"
flock -w 20 9 || { echo "another run held the lock's mutex in $dir for 20s" >&2; exit 1; }
if [ "$action" = probe ]; then
	judge
	echo "status=$state"
	if [ "$state" = live ] || [ "$state" = expired ]; then holder; echo "left=$left"; fi
	exit 0
fi
# Temp files of a writer that died mid-write; under the mutex nobody writes.
rm -f "$dir"/.k3sup-pi.lock.??????
judge
case $action:$state in
acquire:free) write; echo status=acquired ;;
acquire:ours) write; echo status=renewed ;;
acquire:corrupt) write; echo status=recovered-corrupt ;;
acquire:expired) holder; write; echo status=recovered-expired ;;
acquire:live)
	holder
	if [ "$steal" = "$l_id" ]; then write; echo status=recovered-dead; else echo "left=$left"; echo status=held; fi
	;;
renew:ours) write; echo status=renewed ;;
renew:*) if [ "$state" != free ] && [ "$state" != corrupt ]; then holder; fi; echo status=lost ;;
release:ours) rm -f "$lease" "$seen"; echo status=released ;;
release:*) echo status=notheld ;;
*) echo "unknown action $action" >&2; exit 1 ;;
esac
