package channels_test

import (
	"testing"

	"github.com/rebond/rebond/channels"
)

func TestReturnPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		provider string
		want     bool
	}{
		{channels.ProviderBounceMail, true},
		{channels.ProviderAutoReply, true},
		{"ses", false},
		{"smpp:acme", false},
		{"kannel", false},
		{"", false},
	} {
		if got := channels.ReturnPath(tc.provider); got != tc.want {
			t.Errorf("ReturnPath(%q) = %v, want %v", tc.provider, got, tc.want)
		}
	}
}
