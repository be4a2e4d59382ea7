package dlr_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms/dlr"
)

// corpusSeeds returns the payloads of the corpus rows of one format, as
// the fuzz target reads them: the raw text, the raw query of a Kannel
// request, a form as a query string, or a JSON body.
func corpusSeeds(tb testing.TB, format string) []string {
	tb.Helper()
	var out []string
	for _, r := range readCorpus(tb) {
		if r.format != format {
			continue
		}
		var env struct {
			RawQuery string            `json:"raw_query"`
			Form     map[string]string `json:"form"`
			Body     json.RawMessage   `json:"body"`
		}
		if json.Unmarshal([]byte(r.payload), &env) != nil {
			out = append(out, r.payload)
			continue
		}
		switch {
		case env.RawQuery != "":
			out = append(out, env.RawQuery)
		case env.Form != nil:
			v := url.Values{}
			for k, s := range env.Form {
				v.Set(k, s)
			}
			out = append(out, v.Encode())
		case env.Body != nil:
			out = append(out, string(env.Body))
		default:
			out = append(out, r.payload)
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no corpus rows of format %s", format)
	}
	return out
}

// checkEvent fails on an event a parser must never return without error.
func checkEvent(t *testing.T, e channels.Event) {
	t.Helper()
	if e.Channel != channels.SMS || !e.Type.Valid() || e.SMS == nil || e.ID == "" || len(e.ID) > channels.MaxIDLen || len(e.MessageID) > channels.MaxIDLen {
		t.Fatalf("bad event: %+v", e)
	}
}

// fuzzValues runs a url.Values decoder on fuzzed query strings.
func fuzzValues(f *testing.F, format string, parse func(url.Values) (channels.Event, error)) {
	for _, s := range corpusSeeds(f, format) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		if e, err := parse(v); err == nil {
			checkEvent(t, e)
		}
	})
}

// fuzzBody runs a JSON body decoder on fuzzed bodies.
func fuzzBody(f *testing.F, format string, parse func([]byte) ([]channels.Event, error)) {
	for _, s := range corpusSeeds(f, format) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		evs, err := parse([]byte(s))
		if err != nil {
			return
		}
		for _, e := range evs {
			checkEvent(t, e)
		}
	})
}

func one(parse func([]byte) (channels.Event, error)) func([]byte) ([]channels.Event, error) {
	return func(b []byte) ([]channels.Event, error) {
		e, err := parse(b)
		return []channels.Event{e}, err
	}
}

func FuzzParseKannel(f *testing.F) {
	// The dlr-url of the README: the sender's ref and campaign, %t times.
	f.Add("ref=shop-1&campaign=spring&type=8&fid=5F3A&answer=ACK%2F&from=447700900123&ts=2026-12-07+14:53:16")
	f.Add("ref=shop-1&type=1&fid=5F3A&answer=id%3A5F3A+stat%3ADELIVRD+err%3A000&ts=2026-12-07%2B14:53:16")
	fuzzValues(f, dlr.FormatKannel, func(v url.Values) (channels.Event, error) { return dlr.ParseKannel(v, "map") })
}

func FuzzParseJasmin(f *testing.F) {
	fuzzValues(f, dlr.FormatJasmin, func(v url.Values) (channels.Event, error) { return dlr.ParseJasmin(v, "") })
}

func FuzzParseTwilio(f *testing.F) { fuzzValues(f, dlr.FormatTwilio, dlr.ParseTwilio) }

func FuzzParsePlivo(f *testing.F) { fuzzValues(f, dlr.FormatPlivo, dlr.ParsePlivo) }

func FuzzParseVonage(f *testing.F) { fuzzBody(f, dlr.FormatVonage, one(dlr.ParseVonage)) }

func FuzzParseSinch(f *testing.F) { fuzzBody(f, dlr.FormatSinch, one(dlr.ParseSinch)) }

func FuzzParseInfobip(f *testing.F) { fuzzBody(f, dlr.FormatInfobip, dlr.ParseInfobip) }

// FuzzParseReceipt drives the entry point with any format name, so the
// envelope decoding is fuzzed too.
func FuzzParseReceipt(f *testing.F) {
	for _, r := range readCorpus(f) {
		f.Add(r.format, r.payload, r.dialect)
	}
	f.Fuzz(func(t *testing.T, format, payload, dialect string) {
		evs, err := dlr.ParseReceipts(format, []byte(payload), dialect)
		if err != nil {
			return
		}
		for _, e := range evs {
			checkEvent(t, e)
		}
	})
}
