package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// since lists the changes a watch starting at rv must replay: every live
// node as ADDED for rv 0, otherwise every node changed after rv.
func (s *store) since(rv int64) []watchEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []watchEvent
	for _, r := range s.listLocked(func(r *record) bool { return rv == 0 && !r.Deleted || rv > 0 && r.RV > rv }) {
		typ := "MODIFIED"
		switch {
		case rv == 0:
			typ = "ADDED"
		case r.Deleted:
			typ = "DELETED"
		}
		out = append(out, watchEvent{Type: typ, Rec: r})
	}
	return out
}

// selector builds a node filter from fieldSelector and labelSelector.
func selector(r *http.Request) (func(record) bool, error) {
	q := r.URL.Query()
	var tests []func(record) bool
	for _, term := range splitTerms(q.Get("fieldSelector")) {
		key, val, neg, err := splitTerm(term)
		if err != nil || key != "metadata.name" {
			return nil, fmt.Errorf("field label not supported: %s", term)
		}
		tests = append(tests, func(rec record) bool { return (rec.Name == val) != neg })
	}
	for _, term := range splitTerms(q.Get("labelSelector")) {
		test, err := labelTest(term)
		if err != nil {
			return nil, err
		}
		tests = append(tests, test)
	}
	return func(rec record) bool {
		for _, t := range tests {
			if !t(rec) {
				return false
			}
		}
		return true
	}, nil
}

func splitTerms(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// splitTerm splits k=v, k==v or k!=v.
func splitTerm(t string) (key, val string, neg bool, err error) {
	if k, v, ok := strings.Cut(t, "!="); ok {
		return strings.TrimSpace(k), strings.TrimSpace(v), true, nil
	}
	if k, v, ok := strings.Cut(t, "=="); ok {
		return strings.TrimSpace(k), strings.TrimSpace(v), false, nil
	}
	if k, v, ok := strings.Cut(t, "="); ok {
		return strings.TrimSpace(k), strings.TrimSpace(v), false, nil
	}
	return "", "", false, fmt.Errorf("invalid selector term %q", t)
}

// labelTest supports k=v, k==v, k!=v, k and !k.
func labelTest(term string) (func(record) bool, error) {
	term = strings.TrimSpace(term)
	if strings.ContainsAny(term, "=") {
		key, val, neg, err := splitTerm(term)
		if err != nil {
			return nil, err
		}
		return func(rec record) bool { v, ok := rec.Labels[key]; return (ok && v == val) != neg }, nil
	}
	if key, ok := strings.CutPrefix(term, "!"); ok {
		return func(rec record) bool { _, has := rec.Labels[key]; return !has }, nil
	}
	if strings.ContainsAny(term, " ()") {
		return nil, fmt.Errorf("unsupported label selector %q", term)
	}
	return func(rec record) bool { _, has := rec.Labels[term]; return has }, nil
}

// listEmpty answers lists of a kind the stand-in never has objects of.
func (s *server) listEmpty(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, rv := s.store.list()
		if wantsTable(r) {
			writeJSON(w, 200, simpleTable(nil, rv))
			return
		}
		writeJSON(w, 200, map[string]any{"kind": kind + "List", "apiVersion": "v1",
			"metadata": map[string]any{"resourceVersion": fmt.Sprint(rv)}, "items": []any{}})
	}
}

var namespaces = []string{"default", "kube-node-lease", "kube-public", "kube-system"}

func (s *server) namespace(name string) map[string]any {
	return map[string]any{"kind": "Namespace", "apiVersion": "v1",
		"metadata": map[string]any{"name": name, "uid": "ns-" + name, "resourceVersion": "1",
			"creationTimestamp": s.started.UTC().Format(time.RFC3339)},
		"spec": map[string]any{"finalizers": []string{"kubernetes"}}, "status": map[string]any{"phase": "Active"}}
}

func (s *server) listNamespaces(w http.ResponseWriter, r *http.Request) {
	var items []any
	for _, n := range namespaces {
		items = append(items, s.namespace(n))
	}
	if wantsTable(r) {
		writeJSON(w, 200, simpleTable(items, 1))
		return
	}
	writeJSON(w, 200, map[string]any{"kind": "NamespaceList", "apiVersion": "v1",
		"metadata": map[string]any{"resourceVersion": "1"}, "items": items})
}

func (s *server) getNamespace(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("ns")
	for _, n := range namespaces {
		if n == name {
			if wantsTable(r) {
				writeJSON(w, 200, simpleTable([]any{s.namespace(n)}, 1))
				return
			}
			writeJSON(w, 200, s.namespace(n))
			return
		}
	}
	notFound(w, "namespaces", name)
}

// simpleTable renders objects with NAME and AGE columns.
func simpleTable(items []any, rv int64) map[string]any {
	rows := []any{}
	for _, it := range items {
		meta := it.(map[string]any)["metadata"].(map[string]any)
		created, _ := time.Parse(time.RFC3339, meta["creationTimestamp"].(string))
		rows = append(rows, map[string]any{"cells": []any{meta["name"], humanAge(time.Since(created))},
			"object": map[string]any{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}})
	}
	return map[string]any{"kind": "Table", "apiVersion": "meta.k8s.io/v1",
		"metadata": map[string]any{"resourceVersion": fmt.Sprint(rv)},
		"columnDefinitions": []any{
			map[string]any{"name": "Name", "type": "string", "format": "name", "priority": 0},
			map[string]any{"name": "Age", "type": "string", "priority": 0},
		}, "rows": rows}
}
