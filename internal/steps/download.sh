# shellcheck shell=sh
# k3sup-pi download: download the k3s installer. Arguments: its URL, the file to
# write; the file is replaced only once the download completed.
set -e
curl -sfL --retry 3 -o "$2.tmp" "$1"
mv -f "$2.tmp" "$2"
