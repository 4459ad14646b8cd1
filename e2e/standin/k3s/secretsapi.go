package main

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"time"
)

// secretRoutes serves the node-password secrets of kube-system: list, get
// and delete, enough for `kubectl get/delete secret`.
func (s *server) secretRoutes(mux *http.ServeMux) {
	h := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, requireClientCert(fn)) }
	h("GET /api/v1/secrets", s.listSecrets)
	h("GET /api/v1/namespaces/{ns}/secrets", s.listSecrets)
	h("GET /api/v1/namespaces/{ns}/secrets/{name}", s.getSecret)
	h("DELETE /api/v1/namespaces/{ns}/secrets/{name}", s.deleteSecret)
}

// inKubeSystem reports whether the request's namespace (if any) holds secrets.
func inKubeSystem(r *http.Request) bool {
	ns := r.PathValue("ns")
	return ns == "" || ns == "kube-system"
}

func (s *server) listSecrets(w http.ResponseWriter, r *http.Request) {
	secs, rv := s.store.listSecrets()
	if !inKubeSystem(r) {
		secs = nil
	}
	if wantsTable(r) {
		writeJSON(w, 200, secretTable(secs, rv))
		return
	}
	items := []any{}
	for _, sec := range secs {
		items = append(items, renderSecret(sec))
	}
	writeJSON(w, 200, map[string]any{"kind": "SecretList", "apiVersion": "v1",
		"metadata": map[string]any{"resourceVersion": strconv.FormatInt(rv, 10)}, "items": items})
}

// findSecret returns the named live secret of the request's namespace.
func (s *server) findSecret(r *http.Request) (secretRec, bool) {
	secs, _ := s.store.listSecrets()
	for _, sec := range secs {
		if sec.Name == r.PathValue("name") && inKubeSystem(r) {
			return sec, true
		}
	}
	return secretRec{}, false
}

func (s *server) getSecret(w http.ResponseWriter, r *http.Request) {
	sec, ok := s.findSecret(r)
	if !ok {
		notFound(w, "secrets", r.PathValue("name"))
		return
	}
	if wantsTable(r) {
		writeJSON(w, 200, secretTable([]secretRec{sec}, sec.RV))
		return
	}
	writeJSON(w, 200, renderSecret(sec))
}

func (s *server) deleteSecret(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !inKubeSystem(r) || !s.store.deleteSecret(name) {
		notFound(w, "secrets", name)
		return
	}
	writeJSON(w, 200, map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Success", "details": map[string]any{"name": name, "kind": "secrets"}})
}

// renderSecret is the v1 Secret k3s writes (nodepassword.go Ensure).
func renderSecret(sec secretRec) map[string]any {
	meta := map[string]any{"name": sec.Name, "namespace": "kube-system", "uid": sec.UID,
		"resourceVersion": strconv.FormatInt(sec.RV, 10), "creationTimestamp": sec.Created.UTC().Format(time.RFC3339)}
	if sec.OwnerID != "" {
		meta["ownerReferences"] = []any{map[string]any{"apiVersion": "v1", "kind": "Node", "name": sec.Owner, "uid": sec.OwnerID}}
	}
	return map[string]any{"kind": "Secret", "apiVersion": "v1", "metadata": meta, "type": secretType, "immutable": true,
		"data": map[string]any{"hash": base64.StdEncoding.EncodeToString([]byte(sec.Hash))}}
}

// secretTable renders secrets as the Table `kubectl get secrets` prints.
func secretTable(secs []secretRec, rv int64) map[string]any {
	col := func(name, format, desc string) map[string]any {
		return map[string]any{"name": name, "type": "string", "format": format, "description": desc, "priority": 0}
	}
	rows := []any{}
	for _, sec := range secs {
		obj := renderSecret(sec)
		rows = append(rows, map[string]any{"cells": []any{sec.Name, secretType, 1, humanAge(time.Since(sec.Created))},
			"object": map[string]any{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}})
	}
	return map[string]any{"kind": "Table", "apiVersion": "meta.k8s.io/v1",
		"metadata": map[string]any{"resourceVersion": strconv.FormatInt(rv, 10)},
		"columnDefinitions": []any{col("Name", "name", "Name must be unique within a namespace."),
			col("Type", "", "Used to facilitate programmatic handling of secret data."),
			col("Data", "", "Data contains the secret data."), col("Age", "", "CreationTimestamp is a timestamp.")},
		"rows": rows}
}
