package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestHandler(t *testing.T) {
	root := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("v1-release/channels/stable", "/k3s-io/k3s/releases/tag/v1.31.4+k3s1\n")
	write("k3s-io/k3s/releases/download/v1.31.4+k3s1/sha256sum-amd64.txt", "abc  k3s\n")
	tests := []struct {
		path, wantLoc, wantBody string
		wantCode                int
	}{
		{"/v1-release/channels/stable", "/k3s-io/k3s/releases/tag/v1.31.4+k3s1", "", http.StatusFound},
		{"/v1-release/channels/latest", "", "", http.StatusNotFound},
		{"/k3s-io/k3s/releases/download/v1.31.4+k3s1/sha256sum-amd64.txt", "", "abc  k3s\n", http.StatusOK},
		{"/nothing-here", "", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Handler(root).ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			if rec.Code != tt.wantCode {
				t.Fatalf("code %d, want %d", rec.Code, tt.wantCode)
			}
			if got := rec.Header().Get("Location"); got != tt.wantLoc {
				t.Errorf("Location %q, want %q", got, tt.wantLoc)
			}
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("body %q, want %q", rec.Body.String(), tt.wantBody)
			}
		})
	}
}
