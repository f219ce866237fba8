// Command test-registry serves go-containerregistry's in-memory OCI registry
// (pkg/registry) on a loopback address, for tests of `guestbook pin`.
//
// It prints "listening on HOST:PORT" as its first line of output, so a test can
// ask for port 0 and read the port it got. Options add what a public registry
// does and pkg/registry alone does not:
//
//	-token-auth           anonymous bearer tokens, as Docker Hub and Artifact
//	                      Registry hand out for public pulls: 401 with a Bearer
//	                      challenge, a token endpoint at /token, and each token
//	                      valid only for the repositories and actions it was
//	                      issued for.
//	-head-without-digest  HEAD on a manifest answers without the
//	                      Docker-Content-Digest header, as some registries do,
//	                      so clients must fall back to GET.
//	-exit-on-stdin-eof    exit when standard input closes, so a registry
//	                      started by a test dies with it.
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

const service = "test-registry"

// repoPath finds the repository name in a distribution API path.
var repoPath = regexp.MustCompile(`^/v2/(.+?)/(manifests|blobs|tags|referrers)/`)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on (port 0 picks a free port)")
	tokenAuth := flag.Bool("token-auth", false, "require anonymous bearer tokens, served at /token")
	headWithoutDigest := flag.Bool("head-without-digest", false, "omit Docker-Content-Digest on HEAD")
	exitOnEOF := flag.Bool("exit-on-stdin-eof", false, "exit when standard input is closed")
	flag.Parse()

	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatal(err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		log.Fatalf("refusing to listen on %s: loopback addresses only", *addr)
	}
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	base := "http://" + listener.Addr().String()

	var handler http.Handler = registry.New(registry.Logger(log.New(os.Stderr, "", log.LstdFlags)))
	if *headWithoutDigest {
		handler = stripDigestOnHead(handler)
	}
	if *tokenAuth {
		handler = newTokenAuth(base+"/token", handler)
	}

	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "listening on %s\n", listener.Addr())
	if err := out.Flush(); err != nil {
		log.Fatal(err)
	}
	if *exitOnEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			os.Exit(0)
		}()
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(server.Serve(listener))
}

func stripDigestOnHead(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/manifests/") {
			w = &headerFilter{ResponseWriter: w, drop: "Docker-Content-Digest"}
		}
		next.ServeHTTP(w, r)
	})
}

type headerFilter struct {
	http.ResponseWriter
	drop string
}

func (h *headerFilter) WriteHeader(code int) {
	h.Header().Del(h.drop)
	h.ResponseWriter.WriteHeader(code)
}

// tokenAuth is a token server and a gate in one: tokens are random, kept in
// memory, and carry the scopes ("repository:NAME:ACTIONS") they were issued for.
type tokenAuth struct {
	realm  string
	next   http.Handler
	mu     sync.Mutex
	scopes map[string][]string
}

func newTokenAuth(realm string, next http.Handler) *tokenAuth {
	return &tokenAuth{realm: realm, next: next, scopes: map[string][]string{}}
}

func (t *tokenAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		t.issue(w, r)
		return
	}
	repo, action := "", "pull"
	if m := repoPath.FindStringSubmatch(r.URL.Path); m != nil {
		repo = m[1]
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		action = "push"
	}
	if t.allowed(r.Header.Get("Authorization"), repo, action) {
		t.next.ServeHTTP(w, r)
		return
	}
	challenge := fmt.Sprintf("Bearer realm=%q,service=%q", t.realm, service)
	if repo != "" {
		actions := "pull"
		if action == "push" {
			actions = "pull,push"
		}
		challenge += fmt.Sprintf(",scope=%q", "repository:"+repo+":"+actions)
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
}

func (t *tokenAuth) issue(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("service") != service {
		http.Error(w, `{"details":"unknown service"}`, http.StatusBadRequest)
		return
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	token := hex.EncodeToString(raw)
	t.mu.Lock()
	t.scopes[token] = r.URL.Query()["scope"]
	t.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"token": token, "expires_in": 300})
}

func (t *tokenAuth) allowed(header, repo, action string) bool {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return false
	}
	t.mu.Lock()
	scopes, known := t.scopes[token]
	t.mu.Unlock()
	if !known {
		return false
	}
	if repo == "" { // /v2/ itself: any valid token will do
		return true
	}
	for _, scope := range scopes {
		for _, one := range strings.Fields(scope) {
			parts := strings.Split(one, ":")
			if len(parts) != 3 || parts[0] != "repository" || parts[1] != repo {
				continue
			}
			for _, a := range strings.Split(parts[2], ",") {
				if a == action || a == "*" {
					return true
				}
			}
		}
	}
	return false
}
