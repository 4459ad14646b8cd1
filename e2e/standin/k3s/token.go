package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// token is a parsed k3s join token: either the full
// K10<ca-hash>::<user>:<secret> form or a bare secret.
type token struct {
	caHash string
	user   string
	secret string
}

const tokenPrefix = "K10"

// parseToken splits a k3s token into its parts.
func parseToken(s string) (token, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return token{}, fmt.Errorf("token is empty")
	}
	if !strings.HasPrefix(s, tokenPrefix) {
		return token{user: "server", secret: s}, nil
	}
	hash, creds, ok := strings.Cut(strings.TrimPrefix(s, tokenPrefix), "::")
	if !ok {
		return token{}, fmt.Errorf("invalid token format")
	}
	user, secret, ok := strings.Cut(creds, ":")
	if !ok || secret == "" || (user != "server" && user != "node") {
		return token{}, fmt.Errorf("invalid token format")
	}
	if _, err := hex.DecodeString(hash); err != nil || len(hash) != 64 {
		return token{}, fmt.Errorf("invalid token CA hash %q", hash)
	}
	return token{caHash: hash, user: user, secret: secret}, nil
}

// caHash is the hash k3s puts in full tokens: sha256 of the /cacerts body.
func caHash(caPEM []byte) string {
	sum := sha256.Sum256(caPEM)
	return hex.EncodeToString(sum[:])
}

// fullToken renders the K10 form of a server token.
func fullToken(caPEM []byte, secret string) string {
	return tokenPrefix + caHash(caPEM) + "::server:" + secret
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}
