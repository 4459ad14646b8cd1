package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/localfile"
	"gopkg.in/yaml.v3"
)

// Load reads, decodes, defaults and validates the inventory at path. Problems
// in the file come back as one *Error listing all of them; a file that cannot
// be read comes back as a wrapped os error.
func Load(path string) (*Inventory, error) {
	return LoadContext(context.Background(), path)
}

// LoadContext is Load, stopping when ctx is cancelled. Only a regular file of
// at most localfile.MaxInventory bytes is read: a named pipe or a device such
// as /dev/zero is refused before it is opened.
func LoadContext(ctx context.Context, path string) (*Inventory, error) {
	data, err := localfile.Read(ctx, path, localfile.MaxInventory)
	if err != nil {
		return nil, fmt.Errorf("read inventory (choose another with -i or $K3SUP_PI_INVENTORY): %w", err)
	}
	return Parse(path, data)
}

// Parse decodes, defaults and validates inventory data; name is the file name
// used in messages and to resolve relative paths. Problems come back as one
// *Error listing all of them.
func Parse(name string, data []byte) (*Inventory, error) {
	inv := &Inventory{File: name, dir: absDir(name), pos: map[string]pos{}}
	d := &decoder{pos: inv.pos, budget: maxNodes}
	root := d.document(data)
	if root == nil {
		return nil, d.err(name)
	}
	d.mapping(root, "", rootFields(inv, d))
	if _, ok := d.pos["hosts"]; !ok && !d.bad("hosts") {
		if k := findKey(root, "hosts"); k != nil {
			d.add(at(k), "hosts", "has no value; list the machines under it, each as \"- address: ...\" indented below hosts:")
		} else {
			d.add(at(root), "hosts", "missing; list the machines under hosts:, each with an address")
		}
	}
	if d.exhausted {
		return nil, d.err(name) // checks on a half-read inventory would mislead
	}
	applyDefaults(inv)
	validate(inv, &d.problems)
	if err := d.err(name); err != nil {
		return nil, err
	}
	return inv, nil
}

// findKey returns the key node named key in mapping n, or nil.
func findKey(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return k
		}
	}
	return nil
}

func absDir(name string) string {
	dir := filepath.Dir(name)
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// maxNodes bounds the work spent on merge keys, so crafted aliases stay cheap.
const maxNodes = 100000

// decoder walks the YAML node tree, filling the Inventory and recording where
// each key path was set.
type decoder struct {
	problems
	pos       map[string]pos
	budget    int
	exhausted bool                // the budget ran out; the rest of the tree was not read
	via       *yaml.Node          // the alias the host being decoded came through, if any
	active    map[*yaml.Node]bool // mappings being expanded, to catch merge cycles
}

func at(n *yaml.Node) pos { return pos{line: n.Line, col: n.Column} }

// here is where a value given by n is placed for later checks: at n, or at
// the alias a whole host entry came through (hosts: [*a, *a]), so that a
// check of the second host does not point at the first.
func (d *decoder) here(n *yaml.Node) pos {
	if d.via != nil {
		return at(d.via)
	}
	return at(n)
}

// markBad records that path had a value that could not be decoded, so that
// defaults and later checks leave it alone.
func (d *decoder) markBad(n *yaml.Node, path string) {
	p := at(n)
	p.origin = badOrigin
	d.pos[path] = p
}

// badOrigin marks a key path whose value failed to decode.
const badOrigin = "\x00bad"

func (d *decoder) bad(path string) bool { return d.pos[path].origin == badOrigin }

var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses data and returns the root mapping, or nil after recording
// why there is none.
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.add(pos{}, "", "the file is empty; start from inventory.example.yml")
		} else {
			d.syntax(data, err)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.add(at(&extra), "", "a second YAML document (after ---); keep the whole inventory in one document")
	} else if !errors.Is(err, io.EOF) {
		d.syntax(data, err)
	}
	if len(doc.Content) == 0 {
		d.add(pos{}, "", "the file holds no settings; start from inventory.example.yml")
		return nil
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		d.add(at(root), "", "the top level must be a mapping with cluster:, ssh: and hosts:, not %s", describe(root, false))
		return nil
	}
	return root
}

func (d *decoder) syntax(data []byte, err error) {
	m := syntaxLine.FindStringSubmatch(err.Error())
	if m == nil {
		if p, msg, ok := badText(data); ok {
			d.add(p, "", "%s", msg)
			return
		}
		d.add(pos{}, "", "not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	line, _ := strconv.Atoi(m[1])
	p, msg := syntaxHint(data, line, m[2])
	d.add(p, "", "%s", msg)
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// describe names a node's kind (and value, unless secret) for messages.
func describe(n *yaml.Node, secret bool) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		kind := map[string]string{"!!str": "text", "!!int": "a number", "!!float": "a number",
			"!!bool": "a boolean", "!!null": "null"}[n.ShortTag()]
		if kind == "" {
			kind = "a " + n.ShortTag() + " value"
		}
		return kind + " " + quote(n.Value, secret)
	}
	return "an unsupported YAML node"
}

// quote is %q of v, or "(value withheld)" for a secret.
func quote(v string, secret bool) string {
	if secret {
		return "(" + withheld + ")"
	}
	return fmt.Sprintf("%q", v)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
