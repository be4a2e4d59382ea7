package esp

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/rebond/rebond/channels"
)

// DefaultReplayCacheSize bounds the signature tokens a Mailgun webhook
// remembers: at about 100 bytes each, 40 MiB at most, enough for 145
// deliveries a second over the default one-hour window.
const DefaultReplayCacheSize = 1 << 19

// errReplayCacheFull says the cache holds as many unexpired tokens as it
// may: the delivery is refused as a server error, so the provider
// delivers it again later, rather than accepted unchecked.
var errReplayCacheFull = errors.New("replay cache full; deliver again later")

// replayCache remembers, for the signature window, each signature token
// seen and a hash of the data it came with. Mailgun signs the timestamp
// and the token only, not the event (Mailgun docs, "Securing Webhooks":
// "cache the token and refuse a token already seen"), so a captured
// signature would otherwise authenticate any other event data for the
// whole window. A token seen again with the same data is a provider
// re-delivery (rebond answered non-2xx, or the provider did not get the
// answer): it is accepted, and the event ids make it count once. The same
// token with other data is refused. The cache is in memory, per process:
// API replicas each keep their own.
type replayCache struct {
	mu    sync.Mutex
	max   int
	seen  map[[16]byte]replayEntry
	order []replayKey // insertion order, which is expiry order
	head  int
}

type replayEntry struct {
	data    [16]byte
	expires int64
}

type replayKey struct {
	token   [16]byte
	expires int64
}

func newReplayCache(max int) *replayCache {
	if max <= 0 {
		max = DefaultReplayCacheSize
	}
	return &replayCache{max: max, seen: map[[16]byte]replayEntry{}}
}

// check records token with data for window after now, and refuses a
// token seen before with other data (ErrUnauthorized) or a full cache.
// window must cover the signature's age limit and clock skew; counted
// from receipt, expiries grow with the clock, so the oldest expire first.
func (c *replayCache) check(token string, data []byte, now time.Time, window time.Duration) error {
	tk := sha256.Sum256([]byte(token))
	var key [16]byte
	copy(key[:], tk[:])
	dh := sha256.Sum256(canonicalJSON(data))
	var dk [16]byte
	copy(dk[:], dh[:])
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now.UnixNano())
	if e, ok := c.seen[key]; ok {
		if e.data != dk {
			return channels.Unauthorized("signature token already used with other event data (a replay)")
		}
		return nil
	}
	if len(c.seen) >= c.max {
		return errReplayCacheFull
	}
	exp := now.Add(window).UnixNano()
	c.seen[key] = replayEntry{data: dk, expires: exp}
	c.order = append(c.order, replayKey{token: key, expires: exp})
	return nil
}

// expire forgets the tokens whose window has passed: a token older than
// the window is refused by its timestamp anyway.
func (c *replayCache) expire(now int64) {
	for c.head < len(c.order) && c.order[c.head].expires <= now {
		k := c.order[c.head]
		if e, ok := c.seen[k.token]; ok && e.expires == k.expires {
			delete(c.seen, k.token)
		}
		c.head++
	}
	if c.head > 1024 && c.head*2 > len(c.order) {
		c.order = append(c.order[:0], c.order[c.head:]...)
		c.head = 0
	}
}

// canonicalJSON compacts data, so a re-delivery formatted differently
// hashes the same; data that is not JSON is used as is.
func canonicalJSON(data []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		return data
	}
	return b.Bytes()
}
