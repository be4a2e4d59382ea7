package esp

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

var update = flag.Bool("update", false, "rewrite testdata/<provider>/*.golden.json from the decoders' output")

// TestGolden decodes every recorded payload (testdata/<provider>/*.json,
// see testdata/README.md) and compares the events with <name>.golden.json.
// Run `go test ./email/esp -run TestGolden -update` after a deliberate
// change, and review the diff. Verdicts are TestVerdicts' business: the
// rules of other files change on their own schedule.
func TestGolden(t *testing.T) {
	t.Parallel()
	for provider, decode := range decoders {
		files, err := filepath.Glob(filepath.Join("testdata", provider, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no samples for %s", provider)
		}
		for _, in := range files {
			if strings.HasSuffix(in, ".golden.json") {
				continue
			}
			t.Run(provider+"/"+filepath.Base(in), func(t *testing.T) {
				t.Parallel()
				body, err := os.ReadFile(in)
				if err != nil {
					t.Fatal(err)
				}
				events, err := decode(body)
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if events == nil {
					events = []channels.Event{}
				}
				b, err := json.MarshalIndent(events, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				b = append(b, '\n')
				golden := strings.TrimSuffix(in, ".json") + ".golden.json"
				if *update {
					if err := os.WriteFile(golden, b, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if diff := cmp.Diff(string(want), string(b)); diff != "" {
					t.Errorf("%s differs (-want +got):\n%s", golden, diff)
				}
			})
		}
	}
}

// TestRawIsOneEvent checks that Raw holds the provider's JSON for that one
// event: an element of a batch, never the whole batch.
func TestRawIsOneEvent(t *testing.T) {
	t.Parallel()
	for _, provider := range []string{ProviderSendGrid, ProviderSparkPost} {
		body, err := os.ReadFile(filepath.Join("testdata", provider, "sample-batch.json"))
		if err != nil {
			t.Fatal(err)
		}
		events, err := decoders[provider](body)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) < 2 {
			t.Fatalf("%s: %d events, want several", provider, len(events))
		}
		for _, e := range events {
			raw := bytes.TrimSpace([]byte(e.Raw))
			if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
				t.Errorf("%s %s: Raw is not one JSON object: %.60q", provider, e.ID, e.Raw)
			}
		}
	}
}

// TestOneIDPerFact: SendGrid's and SparkPost's test batches give every
// event type one provider id; each event of such a batch is a fact of its
// own, with its own id, or all but one would be dropped as duplicates.
func TestOneIDPerFact(t *testing.T) {
	t.Parallel()
	for _, provider := range []string{ProviderSendGrid, ProviderSparkPost} {
		events, err := decoders[provider](readTestdata(t, provider, "test-batch-one-id"))
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, e := range events {
			ids[e.ID] = true
		}
		if len(events) < 4 || len(ids) != len(events) {
			t.Errorf("%s: %d events, %d ids", provider, len(events), len(ids))
		}
	}
}
