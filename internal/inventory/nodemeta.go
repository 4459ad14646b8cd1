package inventory

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// labels decodes a host's labels: a mapping of label keys to values, each
// checked against Kubernetes' rules.
func (d *decoder) labels(n *yaml.Node, path string, out *map[string]string) {
	if n.Kind != yaml.MappingNode {
		d.add(at(n), path, "expected a mapping like {disk: ssd}, got %s", describe(n, false))
		return
	}
	d.pos[path] = d.here(n)
	m := map[string]string{}
	for _, p := range d.pairs(n, path) {
		key, lp := p.key.Value, fmt.Sprintf("%s[%s]", path, p.key.Value)
		if msg := checkQualifiedName(key); msg != "" {
			d.add(at(p.key), lp, "label key %q %s", key, msg)
		}
		val := ""
		switch {
		case p.val.Kind != yaml.ScalarNode:
			d.add(at(p.val), lp, "a label value must be a single word, not %s", describe(p.val, false))
		case p.val.ShortTag() != "!!null":
			val = p.val.Value
			if msg := checkLabelValue(val); msg != "" {
				d.add(at(p.val), lp, "label value %q %s", val, msg)
			}
		}
		m[key] = val
	}
	*out = m
}

// taints decodes a host's taints: a list of key[=value]:Effect strings.
func (d *decoder) taints(n *yaml.Node, path string, out *[]string) {
	if n.Kind == yaml.ScalarNode {
		d.add(at(n), path, "expected a list, got %s; write it as [%s]", describe(n, false), n.Value)
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.add(at(n), path, "expected a list like [\"dedicated=gpu:NoSchedule\"], got %s", describe(n, false))
		return
	}
	d.pos[path] = d.here(n)
	seen := map[string]*yaml.Node{} // key:effect → first taint with it
	for i, e := range n.Content {
		tp := fmt.Sprintf("%s[%d]", path, i)
		if !d.spend(e, tp) {
			return
		}
		e = resolve(e)
		if e.Kind != yaml.ScalarNode || e.ShortTag() == "!!null" {
			d.add(at(e), tp, "expected a taint like \"dedicated=gpu:NoSchedule\", got %s", describe(e, false))
			continue
		}
		if msg := checkTaint(e.Value); msg != "" {
			d.add(at(e), tp, "%s", msg)
		} else {
			d.uniqueTaint(e, tp, seen)
		}
		d.pos[tp] = d.here(e)
		*out = append(*out, e.Value)
	}
}

// uniqueTaint refuses a valid taint whose key and effect an earlier taint of
// the host has (kubectl taint refuses the pair, after the cluster is built).
func (d *decoder) uniqueTaint(e *yaml.Node, tp string, seen map[string]*yaml.Node) {
	id := taintID(e.Value)
	switch first := seen[id]; {
	case first == nil:
		seen[id] = e
	case first.Value == e.Value:
		d.add(at(e), tp, "taint %q is listed twice (first on line %d); keep one", e.Value, first.Line)
	default:
		d.add(at(e), tp, "taint %q has the key and effect of %q (line %d); a node holds one taint per key and effect, keep one",
			e.Value, first.Value, first.Line)
	}
}

// taintID is a valid taint's identity on a node: key:Effect (the value does
// not count; kubectl refuses two taints with the same key and effect).
func taintID(t string) string {
	i := strings.LastIndex(t, ":")
	key, _, _ := strings.Cut(t[:i], "=")
	return key + ":" + t[i+1:]
}
