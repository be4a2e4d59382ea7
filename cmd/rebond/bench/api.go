package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// endpoint is the URL of an API path for the bench's tenant, with q.
func (c Config) endpoint(path string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	if c.Tenant != "" {
		q.Set("tenant", c.Tenant)
	}
	if len(q) == 0 {
		return c.URL + path
	}
	return c.URL + path + "?" + q.Encode()
}

// postEvents posts a batch to /v1/events, again after a 503 (the server
// sheds load) up to five times.
func postEvents(ctx context.Context, c Config, evs []map[string]any) error {
	body, err := json.Marshal(evs)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint("/v1/events", nil), bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("post events: %w", err)
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusAccepted:
			return nil
		case resp.StatusCode == http.StatusServiceUnavailable && attempt < 5:
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
		default:
			return fmt.Errorf("post events: %s: %s", resp.Status, msg)
		}
	}
}

// waitVerdicts polls the campaign's rates until every message is sent and
// decided, for c.Timeout at most.
func waitVerdicts(ctx context.Context, c Config, sent, decided int64) error {
	deadline := time.Now().Add(c.Timeout)
	for time.Now().Before(deadline) {
		var r struct {
			Rows []struct{ Sent, Delivered, Soft, Hard int64 } `json:"rows"`
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint("/v1/rates", url.Values{"campaign": {c.Campaign}}), nil)
		req.Header.Set("Authorization", "Bearer "+c.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("poll rates: %w", err)
		}
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		var gotSent, gotDecided int64
		for _, row := range r.Rows { // one row per channel
			gotSent += row.Sent
			gotDecided += row.Delivered + row.Soft + row.Hard
		}
		if err == nil && gotSent == sent && gotDecided == decided {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("verdicts incomplete after %v", c.Timeout)
}
