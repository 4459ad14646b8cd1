package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRunRejects covers the argument errors, which fail before any Docker call.
func TestRunRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no verb", nil, "usage: fleet"},
		{"unknown verb", []string{"sideways"}, "usage: fleet"},
		{"unknown flag", []string{"up", "-x"}, "flag provided but not defined"},
		{"bad name", []string{"up", "-name", "Bad_Name", "-n", "2"}, "fleet name"},
		{"no hosts", []string{"up", "-name", "demo", "-n", "0"}, "N=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing on error", stdout.String())
			}
		})
	}
}
