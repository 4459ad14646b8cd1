package sshtest

import (
	"fmt"
	"os/exec"
)

// SudoScript is a fake sudo: it logs its argv to $FAKE_SUDO_LOG, refuses
// everything when $FAKE_SUDO_DENY is set (not in sudoers), and when
// $FAKE_SUDO_PASSWORD is set it requires -S and checks one line of stdin
// against it, like sudo does. The remaining stdin goes to the command. With
// $FAKE_SUDO_NO_READ set, -S runs the command without reading the password
// (-n still fails), as a PAM set-up that authenticates otherwise would.
const SudoScript = `#!/bin/sh
[ -n "$FAKE_SUDO_LOG" ] && echo "$*" >> "$FAKE_SUDO_LOG"
n=; S=
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=1 ;;
    -S) S=1 ;;
    -p) shift ;;
    --) shift; break ;;
    -*) ;;
    *) break ;;
  esac
  shift
done
if [ -n "$FAKE_SUDO_DENY" ]; then
  if [ -n "$n" ]; then echo "sudo: a password is required" >&2; exit 1; fi
  [ -n "$S" ] && IFS= read -r pw
  echo "admin is not in the sudoers file." >&2
  exit 1
fi
if [ -n "$FAKE_SUDO_PASSWORD" ]; then
  if [ -n "$n" ]; then echo "sudo: a password is required" >&2; exit 1; fi
  [ -n "$FAKE_SUDO_NO_READ" ] && exec "$@"
  if [ -z "$S" ]; then echo "sudo: a terminal is required to read the password" >&2; exit 1; fi
  IFS= read -r pw
  if [ "$pw" != "$FAKE_SUDO_PASSWORD" ]; then
    echo "Sorry, try again." >&2
    echo "sudo: 1 incorrect password attempt" >&2
    exit 1
  fi
fi
exec "$@"
`

// IDScript returns a fake id that reports uid for -u and defers to the
// real id otherwise, so the client believes it logged in as that uid.
func IDScript(uid int) string {
	real, err := exec.LookPath("id")
	if err != nil {
		real = "/usr/bin/id"
	}
	return fmt.Sprintf("#!/bin/sh\nif [ \"$1\" = -u ]; then echo %d; exit 0; fi\nexec %s \"$@\"\n", uid, real)
}

// SystemctlScript is a fake systemctl whose is-system-running prints state.
func SystemctlScript(state string) string {
	return "#!/bin/sh\nif [ \"$1\" = is-system-running ]; then echo " + state + "; exit 0; fi\nexit 0\n"
}
