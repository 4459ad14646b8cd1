package main

import (
	"fmt"
	"strconv"
)

// The conversion of one configuration value (from the command line or
// config.yaml) into a flag's field.

// assign stores v (a string from the command line or a YAML value).
func (s *flagSpec) assign(v any, appendList bool) error {
	switch s.kind {
	case kindBool:
		b, err := toBool(v)
		*s.b = b
		return err
	case kindInt:
		n, err := strconv.Atoi(fmt.Sprint(v))
		*s.n = n
		return err
	case kindList:
		items, err := toList(v)
		if appendList {
			*s.list = append(*s.list, items...)
		} else {
			*s.list = items
		}
		return err
	}
	if _, isList := v.([]any); isList {
		return fmt.Errorf("expected a single value, got a list")
	}
	*s.str = fmt.Sprint(v)
	return nil
}

func toBool(v any) (bool, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	return strconv.ParseBool(fmt.Sprint(v))
}

func toList(v any) ([]string, error) {
	switch t := v.(type) {
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if _, nested := e.([]any); nested {
				return nil, fmt.Errorf("nested lists are not allowed")
			}
			out = append(out, fmt.Sprint(e))
		}
		return out, nil
	case nil:
		return nil, nil
	}
	return []string{fmt.Sprint(v)}, nil
}
