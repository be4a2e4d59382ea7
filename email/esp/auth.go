package esp

import (
	"crypto/sha256"
	"crypto/subtle"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// DefaultMaxAge is how old a signature timestamp (SendGrid, Mailgun) may
// be when Config.MaxAge is zero. Both providers say to reject old
// timestamps against replays without giving a window. An hour leaves room
// for queued deliveries. Inside it, a replayed SendGrid body is the same
// events (the signature covers the body), counted once by their ids; a
// Mailgun signature covers no event data, so its tokens are remembered
// for the window (replayCache).
const DefaultMaxAge = time.Hour

// maxSkew is how far in the future a signature timestamp may be: clocks
// drift.
const maxSkew = 5 * time.Minute

// equalSecret compares two secrets in constant time, whatever their
// lengths (hashing first hides the length of the expected one).
func equalSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// checkBasicAuth verifies HTTP basic credentials (RFC 7617).
func checkBasicAuth(r *http.Request, user, pass string) error {
	u, p, ok := r.BasicAuth()
	if !ok {
		return channels.Unauthorized("no basic auth credentials")
	}
	// Evaluate both, so timing does not say which one was wrong.
	if okU, okP := equalSecret(u, user), equalSecret(p, pass); !okU || !okP {
		return channels.Unauthorized("basic auth credentials do not match")
	}
	return nil
}

// checkTimestamp verifies that a signed Unix timestamp (seconds, maybe
// with a fraction) is within maxAge before now and maxSkew after it.
func checkTimestamp(ts string, now time.Time, maxAge time.Duration) error {
	t, err := parseUnix(ts)
	if err != nil {
		return channels.Unauthorized("signature timestamp %q: %v", truncate(ts, 32), err)
	}
	switch age := now.Sub(t); {
	case age > maxAge:
		return channels.Unauthorized("signature timestamp %s is older than %s", t.UTC().Format(time.RFC3339), maxAge)
	case age < -maxSkew:
		return channels.Unauthorized("signature timestamp %s is in the future", t.UTC().Format(time.RFC3339))
	}
	return nil
}

// parseUnix reads Unix seconds with an optional fraction ("1521233123",
// "1521233123.501324"), without the rounding of a float64.
func parseUnix(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt32*4 {
		return time.Time{}, strconv.ErrSyntax
	}
	var nsec int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		f, err := strconv.ParseUint(frac, 10, 32)
		if err != nil {
			return time.Time{}, strconv.ErrSyntax
		}
		nsec = int64(f)
		for i := len(frac); i < 9; i++ {
			nsec *= 10
		}
	}
	return time.Unix(n, nsec), nil
}
