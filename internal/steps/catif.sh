# shellcheck shell=sh
# k3sup-pi catif: print a file when it exists, nothing when it does not.
# Argument: the file.
if [ -e "$1" ]; then cat -- "$1"; fi
