package main

import (
	"github.com/rebond/rebond/api"
	"github.com/rebond/rebond/sms"
)

// smsTextCheck adapts sms.CheckText to the HTTP package.
func smsTextCheck(text string, maxSegments int, requireGSM bool) api.TextCheck {
	c := sms.CheckText(text, maxSegments, requireGSM)
	out := api.TextCheck{Encoding: string(c.Encoding), Units: c.Units, Segments: c.Segments, Reason: string(c.Reason)}
	for _, r := range c.Unsupported {
		out.Unsupported = append(out.Unsupported, string(r))
	}
	return out
}
