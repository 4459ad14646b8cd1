package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// fatalError marks join failures that retrying cannot fix.
type fatalError struct{ err error }

func (f fatalError) Error() string { return f.err.Error() }
func (f fatalError) Unwrap() error { return f.err }

func isFatal(err error) bool {
	var f fatalError
	return errors.As(err, &f)
}

// joinClient talks to the supervisor endpoints of servers.
type joinClient struct {
	tok      token
	insecure *http.Client
	hc       *http.Client
}

func newJoinClient(tok token) *joinClient {
	return &joinClient{tok: tok, insecure: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // k3s fetches /cacerts unverified, then checks the hash
	}}}
}

// trust makes later requests verify servers against caPEM.
func (c *joinClient) trust(caPEM []byte) {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	c.hc = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// normalizeURL turns a K3S_URL into the server's base URL.
func normalizeURL(u string) string {
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	if !strings.Contains(u, "://") {
		u = "https://" + u
	}
	return u
}

// validate checks a server the way k3s does: fetch /cacerts unverified,
// compare its hash with the token's, then prove the secret.
func (c *joinClient) validate(ctx context.Context, base string) error {
	body, code, err := c.do(ctx, c.insecure, http.MethodGet, base+"/cacerts", nil, false)
	if err != nil {
		return fmt.Errorf("failed to get CA certs: %w", err)
	}
	if code != http.StatusOK {
		return fmt.Errorf("failed to get CA certs: %s/cacerts: %d %s", base, code, http.StatusText(code))
	}
	if c.tok.caHash != "" && caHash(body) != c.tok.caHash {
		return fatalError{fmt.Errorf("token CA hash does not match the Cluster CA certificate hash: %s != %s",
			c.tok.caHash, caHash(body))}
	}
	c.trust(body)
	_, code, err = c.do(ctx, c.hc, http.MethodGet, base+"/cacerts", nil, true)
	if err != nil {
		return fmt.Errorf("failed to get CA certs: %w", err)
	}
	if code == http.StatusUnauthorized {
		return fatalError{fmt.Errorf("token is not valid: %s/cacerts: 401 Unauthorized", base)}
	}
	return nil
}

// call posts (or gets, when in is nil) JSON to a verified server.
func (c *joinClient) call(ctx context.Context, base, path string, in, out any) (int, string, error) {
	method := http.MethodGet
	var body []byte
	if in != nil {
		method = http.MethodPost
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, "", fmt.Errorf("encoding request: %w", err)
		}
	}
	resp, code, err := c.do(ctx, c.hc, method, base+path, body, true)
	if err != nil {
		return 0, "", err
	}
	if code == http.StatusOK && out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			return code, "", fmt.Errorf("decoding %s%s: %w", base, path, err)
		}
	}
	return code, strings.TrimSpace(string(resp)), nil
}

func (c *joinClient) do(ctx context.Context, hc *http.Client, method, url string, body []byte, auth bool) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("building request: %w", err)
	}
	if auth {
		req.SetBasicAuth(c.tok.user, c.tok.secret)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", url, err)
	}
	return b, resp.StatusCode, nil
}

// clusterError words a fatal join failure like k3s.
func clusterError(base string, err error) error {
	return usagef("Failed to validate connection to cluster at %s: %v", base, err)
}
