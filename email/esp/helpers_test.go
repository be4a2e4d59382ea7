package esp

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/configs"
)

// decoders maps each provider to its payload decoder, signature aside:
// what golden, verdict and fuzz tests feed.
var decoders = map[string]func([]byte) ([]channels.Event, error){
	ProviderSES:       decodeSESBody,
	ProviderSendGrid:  decodeSendGrid,
	ProviderMailgun:   decodeMailgun,
	ProviderPostmark:  decodePostmark,
	ProviderSparkPost: decodeSparkPost,
}

// decodeSESBody decodes an SNS envelope as SES.Handle does once the
// signature verified: confirmations give no event.
func decodeSESBody(body []byte) ([]channels.Event, error) {
	env, err := decodeSNS(body)
	if err != nil || env.Type != snsNotification {
		return nil, err
	}
	return sesEvents(env, body)
}

// shippedRules loads the rule sets embedded in the binary, once: verdict
// tests run the same rules production does. Shared read-only by tests.
var shippedRules = sync.OnceValues(func() (*rules.Set, error) {
	return rules.Load(configs.Files, "rules/*.yaml")
})

func loadRules(tb testing.TB) *rules.Set {
	tb.Helper()
	set, err := shippedRules()
	if err != nil {
		tb.Fatalf("load shipped rules: %v", err)
	}
	return set
}

// verdictLine is "outcome reason rule", the form verdict tests compare.
func verdictLine(v channels.Verdict) string {
	return string(v.Outcome) + " " + string(v.Reason) + " " + v.Rule
}

func readTestdata(tb testing.TB, provider, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", provider, name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
