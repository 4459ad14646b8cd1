package facts

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

const (
	header  = "k3sup_pi_facts=1"
	trailer = "end=ok"
)

// Parse reads the output of Script into Facts.
//
// Lines before the header (noise from login scripts) and after the trailer are
// ignored. Between them every line must be a valid `key=value`, every known
// key must appear exactly once and carry a valid value; unknown keys are
// ignored so that a newer script can talk to an older parser. Errors name the
// offending line.
func Parse(out []byte) (Facts, error) {
	var f Facts
	seen := map[string]bool{}
	started, ended := false, false
	for i, raw := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		line := strings.TrimSuffix(raw, "\r")
		if !started {
			started = line == header
			if !started && strings.HasPrefix(line, "k3sup_pi_facts=") {
				return Facts{}, fmt.Errorf("facts line %d %s: unsupported format version", i+1, quote(line))
			}
			continue
		}
		if line == trailer {
			ended = true
			break
		}
		if err := parseLine(&f, line, seen); err != nil {
			return Facts{}, fmt.Errorf("facts line %d %s: %w", i+1, quote(line), err)
		}
	}
	switch {
	case !started:
		return Facts{}, errors.New("facts: no k3sup_pi_facts header in the output: the facts script did not run")
	case !ended:
		return Facts{}, errors.New("facts: output truncated: no end=ok line")
	}
	if missing := missingKeys(seen); len(missing) > 0 {
		return Facts{}, fmt.Errorf("facts: missing keys: %s", strings.Join(missing, ", "))
	}
	return f, nil
}

// parseLine applies one key=value line to f.
func parseLine(f *Facts, line string, seen map[string]bool) error {
	key, val, ok := strings.Cut(line, "=")
	if !ok {
		return errors.New("want key=value")
	}
	if !validKey(key) {
		return errors.New("bad key: want lower-case letters, digits and _")
	}
	set, known := fields[key]
	if !known {
		return nil
	}
	if seen[key] {
		return errors.New("duplicate key")
	}
	seen[key] = true
	return set(f, val)
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func missingKeys(seen map[string]bool) []string {
	var missing []string
	for k := range fields {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	return missing
}

// quote shortens long lines (hex values) for error messages.
func quote(line string) string {
	const limit = 80
	if len(line) > limit {
		line = line[:limit] + "..."
	}
	return strconv.Quote(line)
}

// setter stores one value in its field.
type setter func(f *Facts, v string) error

func text(get func(*Facts) *string) setter {
	return func(f *Facts, v string) error { *get(f) = v; return nil }
}

func oneOf(get func(*Facts) *string, allowed ...string) setter {
	return func(f *Facts, v string) error {
		for _, a := range allowed {
			if v == a {
				*get(f) = v
				return nil
			}
		}
		return fmt.Errorf("want one of %q", allowed)
	}
}

func hexText(get func(*Facts) *string, trimNUL bool) setter {
	return func(f *Facts, v string) error {
		b, err := hex.DecodeString(v)
		if err != nil {
			return fmt.Errorf("bad hex: %w", err)
		}
		s := string(b)
		if trimNUL {
			s = strings.TrimRight(s, "\x00")
		}
		*get(f) = s
		return nil
	}
}

func number(get func(*Facts) *int64) setter {
	return func(f *Facts, v string) error {
		if v == "" {
			*get(f) = Unknown
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return errors.New("want a non-negative integer or nothing")
		}
		*get(f) = n
		return nil
	}
}

func digest(get func(*Facts) *string) setter {
	return func(f *Facts, v string) error {
		if v == "" {
			*get(f) = ""
			return nil
		}
		if b, err := hex.DecodeString(v); err != nil || len(b) != 32 || strings.ToLower(v) != v {
			return errors.New("want a lower-case hex sha256 or nothing")
		}
		*get(f) = v
		return nil
	}
}

func flag(get func(*Facts) *bool) setter {
	return func(f *Facts, v string) error {
		switch v {
		case "0", "1":
			*get(f) = v == "1"
			return nil
		}
		return errors.New("want 0 or 1")
	}
}
