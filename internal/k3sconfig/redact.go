package k3sconfig

import (
	"bytes"

	"gopkg.in/yaml.v3"
)

// Mask replaces secret values in Redacted output.
const Mask = "***"

// secretKeys are the top-level keys whose values Redacted hides: the join token
// and the datastore endpoint (its URL carries the database password), plus the
// other credential-bearing k3s flags.
var secretKeys = map[string]bool{
	"token": true, "agent-token": true, "datastore-endpoint": true,
	"etcd-s3-access-key": true, "etcd-s3-secret-key": true, "vpn-auth": true,
}

// Redacted returns config YAML such as Render's with every secret value replaced
// by Mask, comments and key order kept, for --dry-run output and diffs. Input that
// is not a YAML mapping is not echoed at all, since it cannot be safely redacted.
func Redacted(b []byte) string {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return "# (config.yaml is not valid YAML; content hidden)\n"
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return string(b) // empty or comments only
	}
	if doc.Kind != yaml.DocumentNode || doc.Content[0].Kind != yaml.MappingNode {
		return "# (config.yaml is not a YAML mapping; content hidden)\n"
	}
	mapping := doc.Content[0]
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if secretKeys[mapping.Content[i].Value] {
			mask(mapping.Content[i+1])
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "# (config.yaml could not be re-encoded; content hidden)\n"
	}
	if err := enc.Close(); err != nil {
		return "# (config.yaml could not be re-encoded; content hidden)\n"
	}
	return buf.String()
}

// mask turns a value node, whatever its shape, into the plain scalar Mask.
func mask(n *yaml.Node) {
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: Mask, Style: yaml.DoubleQuotedStyle, Anchor: n.Anchor}
}
