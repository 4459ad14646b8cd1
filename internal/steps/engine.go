// Package steps is the engine of `k3sup-pi up` (and of add-node, which is up
// on one host): it plans from the hosts' facts what must change and applies
// the plan in phases, one file each, in the order k3s needs (phase_*.go;
// see docs/ARCHITECTURE.md).
package steps
