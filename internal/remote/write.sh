# shellcheck shell=sh
# k3sup-pi verified write: replace a file with what arrives on stdin, but only
# once the bytes received are exactly the bytes sent.
#
# POSIX sh. Arguments are key=value words (set by the caller with `set --`):
#   path=FILE      the file to replace (required)
#   sha256=HEX     sha256 of the new content (required)
#   size=N         its length in bytes (required, more than 0: empty content is refused)
#   mode=OCTAL     chmod and chown root the new file; the write is skipped ("unchanged")
#                  when FILE already has this content, mode and owner. Without mode the
#                  old file's mode is kept and nothing is chowned (vfat refuses both).
#   expect=HEX     FILE must still have this sha256, else nothing is written (exit 3)
#   backup=FILE    before the rename, a verified copy of the old FILE is put there
#   record=FILE    before the rename, record_text (plus a newline) is written there
#   record_text=T
#   remove=FILE    after the rename, FILE is removed (may be given more than once)
#
# stdin goes to a mktemp file beside FILE; its length and sha256 are checked; only
# then is it synced and renamed over FILE, so FILE is always the old or the new
# content, never a truncated one. On any failure the temp file is removed.
# Prints "changed" or "unchanged". Exit 3: FILE changed meanwhile; 4: bad input or
# incomplete data; other: a command failed.

f='' sum='' size='' mode='' expect='' backup='' record='' rtext='' remove=''
for a; do
	case $a in
	path=*) f=${a#path=} ;;
	sha256=*) sum=${a#sha256=} ;;
	size=*) size=${a#size=} ;;
	mode=*) mode=${a#mode=} ;;
	expect=*) expect=${a#expect=} ;;
	backup=*) backup=${a#backup=} ;;
	record=*) record=${a#record=} ;;
	record_text=*) rtext=${a#record_text=} ;;
	remove=*) remove="$remove${a#remove=}
" ;;
	*) echo "k3sup-pi write: unknown argument $a" >&2; exit 4 ;;
	esac
done
set -e
die() { echo "$1" >&2; exit "$2"; }
sum256() { sha256sum <"$1" | cut -d' ' -f1; }
if [ -z "$f" ] || [ -z "$sum" ]; then die "k3sup-pi write: path and sha256 are required" 4; fi
case $size in '' | *[!0-9]*) die "k3sup-pi write: bad size '$size' for $f" 4 ;; esac
[ "$size" -gt 0 ] || die "refusing to write empty content to $f: nothing replaced" 4

if [ -n "$mode" ] && [ -f "$f" ] && [ "$(sum256 "$f")" = "$sum" ] &&
	[ "$(stat -c %a:%u:%g "$f")" = "$mode:0:0" ]; then
	cat >/dev/null
	echo unchanged
	exit 0
fi
if [ -n "$expect" ] && { [ ! -f "$f" ] || [ "$(sum256 "$f")" != "$expect" ]; }; then
	die "$f changed while k3sup-pi was running; nothing written, run again" 3
fi

d=$(dirname -- "$f")
mkdir -p -- "$d"
t='' bt='' rt=''
# Temp files of a run that was killed outright (power cut) are removed once stale.
find "$d" -maxdepth 1 -name ".${f##*/}.k3sup-pi.*" -mmin +10 -exec rm -f {} + 2>/dev/null || true
trap 'rm -f -- "$t" "$bt" "$rt"' EXIT
trap 'exit 1' HUP INT TERM PIPE
t=$(mktemp "$d/.${f##*/}.k3sup-pi.XXXXXX")
cat >"$t"
got=$(wc -c <"$t" | tr -d ' ')
if [ "$got" != "$size" ]; then
	die "$f: received $got of $size bytes (connection lost or input cut short?): nothing replaced" 4
fi
[ "$(sum256 "$t")" = "$sum" ] || die "$f: the received bytes do not match the sha256 sent: nothing replaced" 4

if [ -n "$mode" ]; then
	chmod "$mode" "$t"
	chown 0:0 "$t"
elif [ -f "$f" ]; then
	chmod --reference="$f" "$t" 2>/dev/null || true
fi
if [ -n "$backup" ] && [ -f "$f" ]; then
	bt=$(mktemp "$(dirname -- "$backup")/.${backup##*/}.k3sup-pi.XXXXXX")
	cp -- "$f" "$bt"
	[ "$(sum256 "$bt")" = "$(sum256 "$f")" ] || die "$f: the backup copy does not match: nothing replaced" 4
	sync
	mv -f -- "$bt" "$backup"
	bt=''
fi
if [ -n "$record" ]; then
	mkdir -p -- "$(dirname -- "$record")"
	rt=$(mktemp "$(dirname -- "$record")/.${record##*/}.k3sup-pi.XXXXXX")
	printf '%s\n' "$rtext" >"$rt"
	mv -f -- "$rt" "$record"
	rt=''
fi
sync
mv -f -- "$t" "$f"
t=''
sync
printf '%s' "$remove" | while IFS= read -r r; do rm -f -- "$r"; done
trap - EXIT
echo changed
