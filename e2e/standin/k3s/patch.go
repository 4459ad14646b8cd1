package main

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Patch content types kubectl sends.
const (
	mergePatch     = "application/merge-patch+json"
	strategicPatch = "application/strategic-merge-patch+json"
)

// applyPatch applies a JSON merge patch, or a strategic merge patch, to obj.
// For Node objects the two agree on everything kubectl touches: maps merge
// with null deleting a key, and lists (spec.taints has no merge key) are
// replaced whole. Strategic-merge directives ($patch, $retainKeys,
// $setElementOrder/...) are accepted and dropped.
func applyPatch(obj map[string]any, contentType string, body []byte) (map[string]any, error) {
	ct, _, _ := strings.Cut(contentType, ";")
	if ct != mergePatch && ct != strategicPatch {
		return nil, fmt.Errorf("unsupported patch type %q", ct)
	}
	var patch any
	if err := json.Unmarshal(body, &patch); err != nil {
		return nil, fmt.Errorf("decoding patch: %w", err)
	}
	pm, ok := patch.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("patch must be a JSON object")
	}
	out, _ := mergeValue(obj, pm, ct == strategicPatch).(map[string]any)
	return out, nil
}

// mergeValue implements RFC 7386 for one value.
func mergeValue(target any, patch any, strategic bool) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	out := make(map[string]any, len(tm))
	for k, v := range tm {
		out[k] = v
	}
	for k, v := range pm {
		if strategic && strings.HasPrefix(k, "$") {
			continue
		}
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = mergeValue(out[k], v, strategic)
	}
	return out
}
