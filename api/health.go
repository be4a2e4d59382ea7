package api

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"time"
)

// healthz says the process is up; it checks nothing else, so an
// orchestrator does not restart rebond for a database outage.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

type dependency struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// readyz answers 200 only when every dependency (PostgreSQL, Redis, NATS)
// answers within 2s, checked concurrently.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	deps := make([]dependency, 0, len(s.ready))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, p := range s.ready {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := dependency{Name: name, OK: true}
			if err := p.Ping(ctx); err != nil {
				// The detail (hosts, users, driver messages) goes to the
				// log; the unauthenticated answer only says it is down.
				s.log.WarnContext(ctx, "dependency not ready", "dependency", name, "error", err)
				d.OK, d.Error = false, "not answering"
			}
			mu.Lock()
			deps = append(deps, d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	status, word := http.StatusOK, "ready"
	for _, d := range deps {
		if !d.OK {
			status, word = http.StatusServiceUnavailable, "not ready"
		}
	}
	writeJSON(w, status, map[string]any{"status": word, "dependencies": deps})
	return nil
}
