package dlr_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms/dlr"
)

// TestWebhookNationalNumber: a gateway's callback naming 0612345678 (no
// country code) is refused as malformed by a webhook without a region,
// never stored as a second identity of the number, and read as
// 33612345678 by a webhook whose region is FR.
func TestWebhookNationalNumber(t *testing.T) {
	t.Parallel()
	query := "type=1&fid=5F3A1B00&from=0612345678&answer=id%3A5F3A1B00+stat%3ADELIVRD+err%3A000"
	tests := []struct{ region, want string }{
		{"", ""},
		{"FR", "33612345678"},
	}
	for _, tc := range tests {
		hook, err := dlr.New(dlr.ProviderKannel, dlr.Config{Region: tc.region, SharedSecret: dlr.SharedSecret{Token: gatewayToken}})
		if err != nil {
			t.Fatal(err)
		}
		r, body := request("GET", gatewayURL("kannel", query), "", "", nil)
		res, err := hook.Handle(r, body)
		if tc.want == "" {
			var fe *channels.FieldError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), "national number") {
				t.Errorf("no region: %+v, %v; want a field error naming the national number", res.Events, err)
			}
			continue
		}
		if err != nil || len(res.Events) != 1 || res.Events[0].Recipient != tc.want {
			t.Errorf("region %s: %+v, %v; want recipient %s", tc.region, res.Events, err, tc.want)
		}
	}
}
