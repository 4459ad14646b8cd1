// Package lock keeps two k3sup-pi runs from interleaving on one cluster.
//
// A run that changes hosts (up, add-node, reset; not doctor, kubeconfig,
// --dry-run or --preflight-only, which take no lock at all) holds two locks:
//
//   - A local lock per inventory: flock(2) on a file in the user's cache
//     directory named after the inventory's absolute path. The kernel drops it
//     when the process dies, even by SIGKILL. The file also records the holder
//     (pid, command, start time) for the message a second run prints.
//
//   - A lease on every host the run connects to: the file
//     /var/lib/k3sup-pi.lock on the host's root file system, written by
//     lock.sh (embedded) as root. It names the holder (run id, operator
//     user@machine, machine id, pid, command, start time) and the boot it was
//     written in, and it expires TTL (2 minutes) after its last renewal unless
//     a heartbeat renews it (every TTL/4) while the run lasts.
//
// Why a lease and not a lock in /run or one tied to an SSH session: `up`
// reboots hosts in its prepare phase. /run is a tmpfs that a reboot empties,
// and a session dies with the reboot, so either would drop the lock exactly
// when the host is most fragile. The lease survives the reboot on disk; its
// clock is the host's uptime, never its wall clock (a Raspberry Pi has no RTC
// and its clock jumps when NTP syncs after boot). Within the boot that wrote
// it, a lease is live until uptime reaches its expiry. A lease of an earlier
// boot stays live for the holder's grace period (the reboot timeout plus the
// TTL) counted from the first look at it in the new boot, time enough for the
// holder to reconnect and renew. That first look is recorded in
// /run/k3sup-pi.lock.seen: /run is emptied by every boot, so the count starts
// afresh even where uptime does not restart at a reboot (a container).
//
// A lease left behind by a killed run does not block for ever: it expires
// after the TTL (or the grace after a reboot), and a run on the same operator
// machine takes it over at once when the holder's pid is gone. A corrupt lease
// file is replaced. Each recovery is reported. A run that finds its own lease
// taken over (it could not renew it for longer than the TTL) stops using that
// host: every later command there fails with a *LostError.
//
// Writes on the host go through a mktemp file beside the lease that is read
// back before it is renamed into place, inside a flock(1) critical section on
// /var/lib so that two runs never decide on the same state. Release removes
// the lease (only when it is still this run's), so a finished or interrupted
// run leaves nothing behind.
package lock
