package main

import (
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// apiRoutes registers the part of the Kubernetes API kubectl needs.
func (s *server) apiRoutes(mux *http.ServeMux) {
	h := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, requireClientCert(fn)) }
	h("GET /version", s.handleVersion)
	h("GET /api", s.handleAPIVersions)
	h("GET /apis", handleGroups)
	h("GET /api/v1", handleResources)
	h("GET /api/v1/nodes", s.listNodes)
	for _, suffix := range []string{"", "/status"} {
		h("GET /api/v1/nodes/{name}"+suffix, s.getNode)
		h("PATCH /api/v1/nodes/{name}"+suffix, s.patchNode)
		h("PUT /api/v1/nodes/{name}"+suffix, s.putNode)
	}
	h("DELETE /api/v1/nodes/{name}", s.deleteNode)
	h("GET /api/v1/pods", s.listEmpty("Pod"))
	h("GET /api/v1/namespaces/{ns}/pods", s.listEmpty("Pod"))
	h("GET /api/v1/namespaces", s.listNamespaces)
	h("GET /api/v1/namespaces/{ns}", s.getNamespace)
	s.secretRoutes(mux)
	for _, p := range []string{"GET /healthz", "GET /readyz", "GET /livez"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	}
}

// requireClientCert admits only requests that presented a certificate
// signed by the cluster CA (the TLS layer verified it).
func requireClientCert(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			writeStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized", "", "")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeStatus writes a metav1.Status failure.
func writeStatus(w http.ResponseWriter, code int, reason, msg, kind, name string) {
	st := map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Failure", "message": msg, "reason": reason, "code": code}
	if name != "" {
		st["details"] = map[string]any{"name": name, "kind": kind}
	}
	writeJSON(w, code, st)
}

func notFound(w http.ResponseWriter, kind, name string) {
	writeStatus(w, http.StatusNotFound, "NotFound", kind+" \""+name+"\" not found", kind, name)
}

func (s *server) handleVersion(w http.ResponseWriter, _ *http.Request) {
	minor := "31"
	if parts := strings.Split(strings.TrimPrefix(version, "v"), "."); len(parts) > 1 {
		minor = parts[1]
	}
	writeJSON(w, 200, map[string]any{"major": "1", "minor": minor, "gitVersion": version,
		"gitCommit": commit(), "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z",
		"goVersion": runtime.Version(), "compiler": "gc", "platform": "linux/" + runtime.GOARCH})
}

func (s *server) handleAPIVersions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 200, map[string]any{"kind": "APIVersions", "versions": []string{"v1"},
		"serverAddressByClientCIDRs": []any{map[string]any{"clientCIDR": "0.0.0.0/0", "serverAddress": s.advertise}}})
}

func handleGroups(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 200, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{}})
}

func handleResources(w http.ResponseWriter, _ *http.Request) {
	all := []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	res := func(name, kind string, namespaced bool, verbs []string, short ...string) map[string]any {
		return map[string]any{"name": name, "singularName": "", "namespaced": namespaced, "kind": kind,
			"verbs": verbs, "shortNames": short}
	}
	writeJSON(w, 200, map[string]any{"kind": "APIResourceList", "groupVersion": "v1", "resources": []any{
		res("nodes", "Node", false, all, "no"),
		res("nodes/status", "Node", false, []string{"get", "patch", "update"}),
		res("pods", "Pod", true, all, "po"),
		res("namespaces", "Namespace", false, all, "ns"),
		res("secrets", "Secret", true, all),
	}})
}

// wantsTable reports whether kubectl asked for server-side printing.
func wantsTable(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "as=Table")
}

func (s *server) listNodes(w http.ResponseWriter, r *http.Request) {
	match, err := selector(r)
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "BadRequest", err.Error(), "", "")
		return
	}
	if v := r.URL.Query().Get("watch"); v == "true" || v == "1" {
		s.watchNodes(w, r, match)
		return
	}
	all, rv := s.store.list()
	recs := []record{}
	for _, rec := range all {
		if match(rec) {
			recs = append(recs, rec)
		}
	}
	if wantsTable(r) {
		writeJSON(w, 200, nodeTable(recs, rv, r.URL.Query().Get("includeObject")))
		return
	}
	items := []any{}
	for _, rec := range recs {
		items = append(items, renderNode(rec))
	}
	writeJSON(w, 200, map[string]any{"kind": "NodeList", "apiVersion": "v1",
		"metadata": map[string]any{"resourceVersion": strconv.FormatInt(rv, 10)}, "items": items})
}

func (s *server) getNode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	rec, ok := s.store.get(name)
	if !ok {
		notFound(w, "nodes", name)
		return
	}
	if wantsTable(r) {
		writeJSON(w, 200, nodeTable([]record{rec}, rec.RV, r.URL.Query().Get("includeObject")))
		return
	}
	writeJSON(w, 200, renderNode(rec))
}

func (s *server) patchNode(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "BadRequest", err.Error(), "", "")
		return
	}
	s.editNode(w, r.PathValue("name"), func(obj map[string]any) (map[string]any, error) {
		return applyPatch(obj, r.Header.Get("Content-Type"), body)
	})
}

func (s *server) putNode(w http.ResponseWriter, r *http.Request) {
	var obj map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&obj); err != nil {
		writeStatus(w, http.StatusBadRequest, "BadRequest", "decoding node: "+err.Error(), "", "")
		return
	}
	s.editNode(w, r.PathValue("name"), func(map[string]any) (map[string]any, error) { return obj, nil })
}

// editNode renders the node, lets edit produce the new object, and stores
// the editable parts of the result.
func (s *server) editNode(w http.ResponseWriter, name string, edit func(map[string]any) (map[string]any, error)) {
	var editErr error
	rec, ok := s.store.update(name, func(rec *record) bool {
		obj, err := edit(renderNode(*rec))
		if err == nil {
			err = absorb(rec, obj)
		}
		editErr = err
		return err == nil
	})
	switch {
	case !ok:
		notFound(w, "nodes", name)
	case editErr != nil:
		writeStatus(w, http.StatusUnprocessableEntity, "Invalid", "nodes \""+name+"\" is invalid: "+editErr.Error(), "nodes", name)
	default:
		writeJSON(w, 200, renderNode(rec))
	}
}

func (s *server) deleteNode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !s.store.remove(name) {
		notFound(w, "nodes", name)
		return
	}
	writeJSON(w, 200, map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Success", "details": map[string]any{"name": name, "kind": "nodes"}})
}

// watchNodes streams node changes as watch events until the client leaves
// or timeoutSeconds passes.
func (s *server) watchNodes(w http.ResponseWriter, r *http.Request, match func(record) bool) {
	ch, cancel := s.store.subscribe()
	defer cancel()
	since, _ := strconv.ParseInt(r.URL.Query().Get("resourceVersion"), 10, 64)
	timeout := 30 * time.Minute
	if n, err := strconv.Atoi(r.URL.Query().Get("timeoutSeconds")); err == nil && n > 0 {
		timeout = time.Duration(n) * time.Second
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	enc := json.NewEncoder(w)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	for _, ev := range s.store.since(since) {
		if match(ev.Rec) {
			_ = enc.Encode(map[string]any{"type": ev.Type, "object": renderNode(ev.Rec)})
		}
	}
	flush()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-timer.C:
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			if ev.Rec.RV > since && match(ev.Rec) {
				_ = enc.Encode(map[string]any{"type": ev.Type, "object": renderNode(ev.Rec)})
				flush()
			}
		}
	}
}
