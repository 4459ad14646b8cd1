package inventory

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// section decodes a nested mapping or list at path.
type section func(n *yaml.Node, path string)

type pair struct{ key, val *yaml.Node }

// mapping decodes the mapping n at path into the targets of fields, reporting
// unknown keys, repeated keys and type mismatches.
func (d *decoder) mapping(n *yaml.Node, path string, fields map[string]any) {
	for _, p := range d.pairs(n, path) {
		key := p.key.Value
		target, ok := fields[key]
		if !ok {
			d.add(at(p.key), join(path, key), "%s", unknownKey(key, path, fields))
			continue
		}
		d.value(p.val, join(path, key), target)
	}
}

// pairs lists the key/value pairs of a mapping, merge keys (<<) expanded and
// explicit keys winning over merged ones.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	if d.active[n] {
		d.add(at(n), path, "<< merges this mapping into itself; remove that merge")
		return nil
	}
	if d.active == nil {
		d.active = map[*yaml.Node]bool{}
	}
	d.active[n] = true
	defer delete(d.active, n)
	var out, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		switch {
		case !d.spend(k, path):
			return out
		case k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge":
			merged = append(merged, d.merge(v, path)...)
		case k.Kind != yaml.ScalarNode:
			d.add(at(k), path, "a key must be a plain word, not %s", describe(k, true))
		case seen[k.Value] != nil:
			d.add(at(k), join(path, k.Value), "repeated key (first on line %d); keep one", seen[k.Value].Line)
		default:
			seen[k.Value] = k
			out = append(out, pair{k, v})
		}
	}
	for _, p := range merged {
		if seen[p.key.Value] == nil {
			seen[p.key.Value] = p.key
			out = append(out, p)
		}
	}
	return out
}

// spend takes one entry from the decoder's budget; false once it is spent,
// after reporting that (once, at n) the aliases expand too far.
func (d *decoder) spend(n *yaml.Node, path string) bool {
	d.budget--
	if d.budget >= 0 {
		return true
	}
	if !d.exhausted {
		d.exhausted = true
		d.add(d.entryPos(n, path), path, "aliases (*name) and merge keys (<<) expand the inventory past %d entries here; write the entries out instead", maxNodes)
	}
	return false
}

// entryPos is where the entry of a list that path is in starts (like
// hosts[3], where the aliases were used), else where n is.
func (d *decoder) entryPos(n *yaml.Node, path string) pos {
	if i := strings.IndexByte(path, ']'); i >= 0 {
		path = path[:i+1]
	}
	if p, ok := d.pos[path]; ok && p.line > 0 {
		return p
	}
	return at(n)
}

// merge returns the pairs a merge key's value brings in.
func (d *decoder) merge(v *yaml.Node, path string) []pair {
	switch v.Kind {
	case yaml.MappingNode:
		return d.pairs(v, path)
	case yaml.SequenceNode:
		var out []pair
		for _, m := range v.Content {
			if m = resolve(m); m.Kind == yaml.MappingNode {
				out = append(out, d.pairs(m, path)...)
				continue
			}
			d.add(at(m), path, "<< merges mappings only, not %s", describe(m, true))
		}
		return out
	}
	d.add(at(v), path, "<< merges mappings only, not %s", describe(v, true))
	return nil
}

// value decodes one node into target, which is a pointer to a field or a section.
func (d *decoder) value(n *yaml.Node, path string, target any) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // unset: the default applies
	}
	var ok bool
	switch t := target.(type) {
	case section:
		t(n, path)
		return
	case *string:
		ok = d.str(n, path, t)
	case *int:
		ok = d.integer(n, path, t)
	case *bool:
		ok = d.boolean(n, path, t)
	case *time.Duration:
		ok = d.duration(n, path, t)
	default:
		d.add(at(n), path, "internal error: no decoder for %T", target)
	}
	if ok {
		d.pos[path] = d.here(n)
	} else {
		d.markBad(n, path)
	}
}

func (d *decoder) str(n *yaml.Node, path string, t *string) bool {
	if n.Kind != yaml.ScalarNode {
		d.add(at(n), path, "expected text, got %s", describe(n, secretPath(path)))
		return false
	}
	if n.ShortTag() == "!!bool" {
		d.add(at(n), path, "expected text, got %s; quote it if you mean the word", describe(n, secretPath(path)))
		return false
	}
	*t = n.Value
	return true
}

func (d *decoder) integer(n *yaml.Node, path string, t *int) bool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.add(at(n), path, "expected a whole number, got %s; write it without quotes, like 22", describe(n, secretPath(path)))
		return false
	}
	var v int
	if err := n.Decode(&v); err != nil {
		d.add(at(n), path, "%s is too large for a number here", quote(n.Value, secretPath(path)))
		return false
	}
	*t = v
	return true
}

func (d *decoder) boolean(n *yaml.Node, path string, t *bool) bool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		d.add(at(n), path, "expected true or false, got %s", describe(n, secretPath(path)))
		return false
	}
	var v bool
	if err := n.Decode(&v); err != nil {
		d.add(at(n), path, "expected true or false, got %s", describe(n, secretPath(path)))
		return false
	}
	*t = v
	return true
}

func (d *decoder) duration(n *yaml.Node, path string, t *time.Duration) bool {
	if n.Kind != yaml.ScalarNode {
		d.add(at(n), path, "expected a duration like \"10m\", got %s", describe(n, secretPath(path)))
		return false
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		d.add(at(n), path, "%s is not a duration; write it with a unit, like \"10m\" or \"90s\"", quote(n.Value, secretPath(path)))
		return false
	}
	*t = v
	return true
}
