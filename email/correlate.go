package email

import "strings"

// correlate fills Report.Original from the returned message's header:
// its Message-ID and rebond's correlation fields. When no returned header
// was recognized, the correlation fields are looked for anywhere in the
// mail: a bounce that quotes the original in an unusual way still carries
// them at the start of a line.
func (m *message) correlate() {
	o := &m.r.Original
	if m.p.hasOrig {
		h := m.p.original
		o.MessageID = trimID(h.get("message-id"))
		o.RebondMessageID = strings.TrimSpace(h.get("x-rebond-message-id"))
		o.Campaign = strings.TrimSpace(h.get("x-rebond-campaign"))
		o.Signature = strings.TrimSpace(h.get("x-rebond-signature"))
		o.From = firstAddress(h.get("from"))
		o.To = strings.Join(addressList(h.get("to")), ", ")
		o.Subject = decodeWords(h.get("subject"))
	}
	if o.RebondMessageID == "" || o.Campaign == "" || o.Signature == "" {
		f := rebondFields(m.mail)
		o.RebondMessageID = firstNonEmpty(o.RebondMessageID, f.id)
		o.Campaign = firstNonEmpty(o.Campaign, f.campaign)
		o.Signature = firstNonEmpty(o.Signature, f.signature)
	}
}

// trimID removes the angle brackets and comments around a Message-ID.
func trimID(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return v[i+1 : i+j]
		}
	}
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}

// rebondLines are the values of rebond's correlation fields found by
// rebondFields.
type rebondLines struct{ id, campaign, signature string }

// rebondFields returns the values of the first X-Rebond-Message-ID,
// X-Rebond-Campaign and X-Rebond-Signature lines of raw (field names
// compared without case), in one pass that tests each line's first byte
// before anything else.
func rebondFields(raw string) rebondLines {
	const prefix = "x-rebond-"
	var f rebondLines
	for rest := raw; len(rest) > 0 && (f.id == "" || f.campaign == "" || f.signature == ""); {
		var line string
		line, rest = cutLine(rest)
		if len(line) <= len(prefix) || line[0]|0x20 != 'x' || !strings.EqualFold(line[:len(prefix)], prefix) {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch {
		case f.id == "" && strings.EqualFold(name, HeaderMessageID):
			f.id = value
		case f.campaign == "" && strings.EqualFold(name, HeaderCampaign):
			f.campaign = value
		case f.signature == "" && strings.EqualFold(name, HeaderSignature):
			f.signature = value
		}
	}
	return f
}
