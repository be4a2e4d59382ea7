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
		o.From = firstAddress(h.get("from"))
		o.To = strings.Join(addressList(h.get("to")), ", ")
		o.Subject = decodeWords(h.get("subject"))
	}
	if o.RebondMessageID == "" || o.Campaign == "" {
		id, campaign := rebondFields(m.mail)
		o.RebondMessageID = firstNonEmpty(o.RebondMessageID, id)
		o.Campaign = firstNonEmpty(o.Campaign, campaign)
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

// rebondFields returns the values of the first X-Rebond-Message-ID and
// X-Rebond-Campaign lines of raw (field names compared without case), in
// one pass that tests each line's first byte before anything else.
func rebondFields(raw string) (id, campaign string) {
	const prefix = "x-rebond-"
	for rest := raw; len(rest) > 0 && (id == "" || campaign == ""); {
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
		case id == "" && strings.EqualFold(name, HeaderMessageID):
			id = value
		case campaign == "" && strings.EqualFold(name, HeaderCampaign):
			campaign = value
		}
	}
	return id, campaign
}
