// Command mirror is the fleet's HTTPS static file server (it runs on the
// fleet's mirror host). It serves the tree under -root. A file under
// v1-release/channels/ holds a URL path, and a GET of that channel answers
// with a 302 redirect to it, as the k3s channel server does.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

func main() {
	root := flag.String("root", "/srv/mirror", "directory to serve")
	cert := flag.String("cert", "", "TLS certificate (PEM)")
	key := flag.String("key", "", "TLS key (PEM)")
	addr := flag.String("addr", ":443", "listen address")
	flag.Parse()
	if *cert == "" || *key == "" {
		fmt.Fprintln(os.Stderr, "mirror: -cert and -key are required")
		os.Exit(2)
	}
	srv := &http.Server{Addr: *addr, Handler: logged(Handler(*root))}
	log.Printf("mirror: serving %s on %s", *root, *addr)
	if err := srv.ListenAndServeTLS(*cert, *key); err != nil {
		log.Fatalf("mirror: %v", err)
	}
}

// Handler serves files under root, and channel redirects under
// /v1-release/channels/.
func Handler(root string) http.Handler {
	files := http.FileServer(http.Dir(root))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := path.Clean("/" + r.URL.Path)
		if dir, name := path.Split(p); dir == "/v1-release/channels/" && name != "" {
			b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
			if err != nil {
				http.Error(w, "no such channel: "+name, http.StatusNotFound)
				return
			}
			http.Redirect(w, r, strings.TrimSpace(string(b)), http.StatusFound)
			return
		}
		files.ServeHTTP(w, r)
	})
}

func logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s %s", r.RemoteAddr, r.Method, r.URL.Path)
		h.ServeHTTP(w, r)
	})
}
