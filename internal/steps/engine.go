// Package steps is the engine behind `k3sup-pi up` and friends: it connects to
// every host, gathers facts, plans what must change, and applies the plan in the
// order k3s needs (prepare, first server, further servers, agent batches, labels).
package steps
