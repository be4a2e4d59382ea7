package esp

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/rebond/rebond/channels"
)

// splitArray reads a JSON array of provider events (a SendGrid or SparkPost
// batch) into its raw elements, at most maxBatch of them.
func splitArray(provider string, body []byte) ([]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '[' {
		return nil, fmt.Errorf("%s: %w: the body is not a JSON array of events", provider, channels.ErrMalformed)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", provider, channels.ErrMalformed, err)
	}
	if len(items) > maxBatch {
		return nil, fmt.Errorf("%s: %w: %d events in one request, more than %d", provider, channels.ErrMalformed, len(items), maxBatch)
	}
	return items, nil
}

// decodeItem decodes one element of a batch into v, naming it in errors.
func decodeItem(provider, where string, raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s %s: %w: %v", provider, where, channels.ErrMalformed, err)
	}
	return nil
}

// scalar returns a JSON string's value or a number's text; "" for
// anything else. Providers pass custom values either way.
func scalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
	}
	return ""
}

// firstScalar returns scalar(raw), or the first element's when raw is an
// array (SendGrid's category is a string or a list of them).
func firstScalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
			return scalar(list[0])
		}
		return ""
	}
	return scalar(raw)
}
