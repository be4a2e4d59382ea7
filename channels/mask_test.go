package channels

import "testing"

func TestMaskRaw(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, want string
	}{
		{"request line", "GET /v1/webhooks/kannel?id=1&token=s3cret&stat=DELIVRD", "GET /v1/webhooks/kannel?id=1&token=********&stat=DELIVRD"},
		{"query", "id=1&Password=x&sig=abc", "id=1&Password=********&sig=********"},
		{"no secret", "id=1&stat=DELIVRD", "id=1&stat=DELIVRD"},
		{"envelope", `{"method":"GET","raw_query":"id=1&secret=zz","query":{"key":"k","id":"1"}}`,
			`{"method":"GET","query":{"id":"1","key":"********"},"raw_query":"id=1&secret=********"}`},
		{"body", `[{"event":"bounce","api_key":"abc","n":12345678901234567890}]`, `[{"api_key":"********","event":"bounce","n":12345678901234567890}]`},
		{"bounce mail", "From: MAILER-DAEMON\nSubject: failure?token=x\n\nkey=1", "From: MAILER-DAEMON\nSubject: failure?token=x\n\nkey=1"},
		{"smpp receipt", "id:1 sub:001 dlvrd:001 stat:DELIVRD err:000", "id:1 sub:001 dlvrd:001 stat:DELIVRD err:000"},
		{"bad json", `{"token":`, `{"token":`},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := MaskRaw(tt.raw); got != tt.want {
				t.Errorf("MaskRaw(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func FuzzMaskRaw(f *testing.F) {
	f.Add("GET /x?token=a&b=c")
	f.Add(`{"secret":"x","q":"a=1&key=2"}`)
	f.Fuzz(func(t *testing.T, raw string) {
		out := MaskRaw(raw)
		if MaskRaw(out) != out {
			t.Errorf("MaskRaw is not idempotent on %q", raw)
		}
	})
}
