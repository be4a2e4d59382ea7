package sms_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

func builtinKeywords(tb testing.TB) *sms.Keywords {
	tb.Helper()
	kw, err := sms.NewKeywords(sms.KeywordConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	return kw
}

// TestKeywordMatch: what each message says, by the region of its number.
// The decision the tests pin: a message opts out when, punctuation,
// emoji and politeness set aside, it is a keyword, or starts with a lead
// keyword (STOP, UNSUBSCRIBE, ARRET…); prose that merely contains one
// does not.
func TestKeywordMatch(t *testing.T) {
	t.Parallel()
	kw := builtinKeywords(t)
	tests := []struct {
		name, region, text string
		want               channels.Type
		keyword            string
	}{
		{"STOP", "US", "STOP", channels.OptOut, "STOP"},
		{"lower case", "US", "stop", channels.OptOut, "STOP"},
		{"surrounding spaces", "US", "  Stop \n", channels.OptOut, "STOP"},
		{"exclamation", "US", "STOP!", channels.OptOut, "STOP"},
		{"please after", "US", "stop please", channels.OptOut, "STOP"},
		{"please before", "US", "Please, stop.", channels.OptOut, "STOP"},
		{"thank you", "GB", "STOP thank you", channels.OptOut, "STOP"},
		{"emoji", "US", "STOP 🙏", channels.OptOut, "STOP"},
		{"French svp", "FR", "Stop svp", channels.OptOut, "STOP"},
		{"svp in any region", "US", "Stop svp", channels.OptOut, "STOP"},
		{"STOP SMS", "FR", "STOP SMS", channels.OptOut, "STOP"},
		{"ARRÊT, accent kept", "FR", "Arrêt", channels.OptOut, "ARRÊT"},
		{"ARRET without accent", "FR", "ARRET", channels.OptOut, "ARRET"},
		{"decomposed accent", "FR", "Arre\u0302t", channels.OptOut, "ARRE\u0302T"},
		{"arrêtez s'il vous plaît", "FR", "Arrêtez s'il vous plaît", channels.OptOut, "ARRÊTEZ"},
		{"désabonner", "BE", "désabonner", channels.OptOut, "DÉSABONNER"},
		{"French in Canada", "CA", "arrêt", channels.OptOut, "ARRÊT"},
		{"French not read from a US number", "US", "arrêt", channels.Inbound, ""},
		{"STOPALL", "US", "STOPALL", channels.OptOut, "STOPALL"},
		{"STOP ALL", "US", "stop all", channels.OptOut, "STOP"},
		{"opt-out", "US", "opt-out", channels.OptOut, "OPT OUT"},
		{"OPTOUT", "US", "OptOut", channels.OptOut, "OPTOUT"},
		{"unsubscribe me", "US", "Unsubscribe me", channels.OptOut, "UNSUBSCRIBE"},
		{"revoke", "US", "REVOKE", channels.OptOut, "REVOKE"},
		{"CANCEL alone", "US", "Cancel", channels.OptOut, "CANCEL"},
		{"END alone", "US", "end.", channels.OptOut, "END"},
		{"QUIT alone", "US", "QUIT", channels.OptOut, "QUIT"},
		{"stop sending", "US", "Stop sending me these messages", channels.OptOut, "STOP"},
		{"BAJA", "ES", "Baja", channels.OptOut, "BAJA"},
		{"BAJA por favor", "ES", "BAJA por favor", channels.OptOut, "BAJA"},
		{"dar de baja", "MX", "dar de baja", channels.OptOut, "DAR DE BAJA"},
		{"ALTO", "MX", "alto", channels.OptOut, "ALTO"},
		{"STOPP", "DE", "Stopp bitte", channels.OptOut, "STOPP"},
		{"SAIR", "BR", "sair", channels.OptOut, "SAIR"},
		{"basta", "IT", "Basta!", channels.OptOut, "BASTA"},
		{"START", "US", "START", channels.OptIn, "START"},
		{"unstop", "US", "unstop", channels.OptIn, "UNSTOP"},
		{"start please", "FR", "Start svp", channels.OptIn, "START"},
		{"ALTA", "ES", "Alta", channels.OptIn, "ALTA"},

		{"don't stop", "US", "don't stop sending", channels.Inbound, ""},
		{"please don't stop", "US", "Please don't stop", channels.Inbound, ""},
		{"cancel my appointment", "US", "Cancel my appointment", channels.Inbound, ""},
		{"the end", "US", "That's the end", channels.Inbound, ""},
		{"baja el precio", "ES", "Baja el precio", channels.Inbound, ""},
		{"start as prose", "US", "Start my subscription again", channels.Inbound, ""},
		{"yes is no opt-in", "US", "YES", channels.Inbound, ""},
		{"fine is no Italian opt-out", "GB", "Fine", channels.Inbound, ""},
		{"STOP inside a word", "US", "STOPPED", channels.Inbound, ""},
		{"German STOPP not read in the US", "US", "STOPP", channels.Inbound, ""},
		{"politeness only", "US", "Thanks!", channels.Inbound, ""},
		{"empty", "US", "", channels.Inbound, ""},
		{"punctuation only", "US", "?!", channels.Inbound, ""},
		{"unknown region", "", "stop", channels.OptOut, "STOP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kw.Match("", tt.region, tt.text)
			if got.Type != tt.want || got.Keyword != tt.keyword {
				t.Errorf("Match(%q, %q) = %s %q, want %s %q", tt.region, tt.text, got.Type, got.Keyword, tt.want, tt.keyword)
			}
		})
	}
}

// TestKeywordLongMessage: past the words Match reads, a message can only
// start with a lead keyword.
func TestKeywordLongMessage(t *testing.T) {
	t.Parallel()
	kw := builtinKeywords(t)
	long := strings.Repeat("word ", 200)
	if got := kw.Match("", "US", "STOP "+long); got.Type != channels.OptOut {
		t.Errorf("a long message led by STOP: %s", got.Type)
	}
	if got := kw.Match("", "US", "please "+long+" stop"); got.Type != channels.Inbound {
		t.Errorf("a long message ending in stop: %s", got.Type)
	}
	if got := kw.Match("", "US", strings.Repeat("x", 10*sms.MaxTextLen)); got.Type != channels.Inbound {
		t.Errorf("one huge word: %s", got.Type)
	}
}

// TestKeywordConfig: additions, ignores and languages per scope.
func TestKeywordConfig(t *testing.T) {
	t.Parallel()
	kw, err := sms.NewKeywords(sms.KeywordConfig{
		KeywordList: sms.KeywordList{OptOut: []string{"remove me"}, OptIn: []string{"subscribe"}},
		Languages:   map[string][]string{"US": {"es"}},
		Regions:     map[string]sms.KeywordList{"fr": {OptOut: []string{"STOP PUB*"}, Ignore: []string{"ARRETE"}}},
		Tenants: map[string]sms.KeywordList{
			"clinic":  {Ignore: []string{"cancel"}},
			"default": {OptIn: []string{"YES"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tenant, region, text string
		want                 channels.Type
	}{
		{"", "US", "remove me", channels.OptOut},
		{"", "US", "Subscribe", channels.OptIn},
		{"", "US", "yes", channels.OptIn},       // the default tenant's
		{"acme", "US", "yes", channels.Inbound}, // not acme's
		{"", "US", "baja", channels.OptOut},     // Spanish read from US numbers
		{"", "FR", "stop pub merci", channels.OptOut},
		{"", "FR", "arrete", channels.Inbound}, // ignored in FR
		{"", "FR", "arrêt", channels.OptOut},
		{"clinic", "US", "CANCEL", channels.Inbound},
		{"clinic", "US", "STOP", channels.OptOut},
		{"acme", "US", "CANCEL", channels.OptOut},
	}
	for _, tt := range tests {
		if got := kw.Match(tt.tenant, tt.region, tt.text); got.Type != tt.want {
			t.Errorf("Match(%q, %q, %q) = %s, want %s", tt.tenant, tt.region, tt.text, got.Type, tt.want)
		}
	}
}

func TestKeywordConfigRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  sms.KeywordConfig
		want string
	}{
		{"lead opt-in", sms.KeywordConfig{KeywordList: sms.KeywordList{OptIn: []string{"START*"}}}, "opt_in[0]"},
		{"both lists", sms.KeywordConfig{KeywordList: sms.KeywordList{OptOut: []string{"hold"}, OptIn: []string{"HOLD"}}}, "opt_in[0]: \"HOLD\" is also in opt_out"},
		{"listed and ignored", sms.KeywordConfig{KeywordList: sms.KeywordList{OptOut: []string{"x"}, Ignore: []string{"X"}}}, "ignore[0]"},
		{"no word", sms.KeywordConfig{KeywordList: sms.KeywordList{OptOut: []string{"?!"}}}, "opt_out[0]"},
		{"too many words", sms.KeywordConfig{KeywordList: sms.KeywordList{OptOut: []string{"a b c d e f g h i"}}}, "more than 8 words"},
		{"too long", sms.KeywordConfig{KeywordList: sms.KeywordList{OptOut: []string{strings.Repeat("a", 65)}}}, "longer than 64"},
		{"bad region", sms.KeywordConfig{Regions: map[string]sms.KeywordList{"XX": {}}}, "regions.XX"},
		{"bad language region", sms.KeywordConfig{Languages: map[string][]string{"France": {"fr"}}}, "languages.France"},
		{"unknown language", sms.KeywordConfig{Languages: map[string][]string{"US": {"klingon"}}}, `languages.US: "klingon"`},
		{"bad tenant", sms.KeywordConfig{Tenants: map[string]sms.KeywordList{"Acme!": {}}}, "tenants.Acme!"},
		{"region list", sms.KeywordConfig{Regions: map[string]sms.KeywordList{"FR": {OptIn: []string{"GO*"}}}}, "regions.FR.opt_in[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

func FuzzKeywordMatch(f *testing.F) {
	for _, s := range []string{"STOP", "Stop svp", "arrêt", "don't stop", "Arre\u0302t", "S T O P", "stop\x00", "\xff\xfestop", "ﬆop", "İSTOP"} {
		f.Add(s, "FR")
	}
	kw := builtinKeywords(f)
	f.Fuzz(func(t *testing.T, text, region string) {
		m := kw.Match("", region, text)
		switch m.Type {
		case channels.Inbound:
			if m.Keyword != "" {
				t.Fatalf("inbound with keyword %q", m.Keyword)
			}
		case channels.OptOut, channels.OptIn:
			if m.Keyword == "" || !channels.CleanID(m.Keyword) || len(m.Keyword) > channels.MaxIDLen || !utf8.ValidString(m.Keyword) {
				t.Fatalf("keyword %q of %q", m.Keyword, text)
			}
			// Whatever surrounds a keyword, the keyword alone says the
			// same (unless it was clipped: combining marks are unbounded).
			if again := kw.Match("", region, m.Keyword); again.Type != m.Type && len(m.Keyword) < channels.MaxIDLen-8 {
				t.Fatalf("%q is %s but its keyword %q is %s", text, m.Type, m.Keyword, again.Type)
			}
		default:
			t.Fatalf("type %q", m.Type)
		}
	})
}
