package dlr_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/sms"
	"github.com/rebond/rebond/sms/dlr"
)

// tableRow is one row of sms/testdata/tables/error-tables.tsv: a code of
// a published SMS error table and the verdict rebond gives it (see
// sms/testdata/tables/README.md for the tables and their sources).
type tableRow struct {
	table, code, stat, meaning, permanence, outcome, reason string
}

// readTables reads sms/testdata/tables/error-tables.tsv: TAB-separated, a
// header line, seven fields per line.
func readTables(tb testing.TB) []tableRow {
	tb.Helper()
	var rows []tableRow
	for _, c := range readTSV(tb, "../testdata/tables/error-tables.tsv", 7) {
		rows = append(rows, tableRow{c[0], c[1], c[2], c[3], c[4], c[5], c[6]})
	}
	return rows
}

// wire is one way a table's code reaches rebond: a receipt format, the
// connection's err dialect and the payload.
type wire struct {
	name, format, dialect, payload string
}

// num reads a row's code as a decimal (leading zeros allowed) or
// 0x-prefixed hex number.
func num(tb testing.TB, r tableRow) int {
	tb.Helper()
	s, base := r.code, 10
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		s, base = h, 16
	}
	n, err := strconv.ParseInt(s, base, 32)
	if err != nil {
		tb.Fatalf("%s %s: code: %v", r.table, r.code, err)
	}
	return int(n)
}

// smppErrWires writes an err: code of an SMSC dialect the ways gateways
// send it: as the table writes it, in bare decimal, zero-padded to three
// digits, after stat:UNDELIV or stat:REJECTD, and with a message_state
// UNDELIVERABLE TLV in place of the stat.
func smppErrWires(tb testing.TB, dialect string, r tableRow) []wire {
	n := num(tb, r)
	codes := []string{r.code, strconv.Itoa(n), fmt.Sprintf("%03d", n)}
	slices.Sort(codes)
	var ws []wire
	for _, code := range slices.Compact(codes) {
		for _, stat := range []string{"UNDELIV", "REJECTD"} {
			ws = append(ws, wire{"stat:" + stat + " err:" + code, sms.FormatText, dialect,
				"id:7 sub:001 dlvrd:000 submit date:2405101230 done date:2405101231 stat:" + stat + " err:" + code + " text:x"})
		}
		ws = append(ws, wire{"message_state 5, err:" + code, sms.FormatTLV, dialect,
			`{"esm_class":4,"short_message":"id:7 stat:ENROUTE err:` + code + `","tlv":{"message_state":5}}`})
	}
	return ws
}

// networkErrorWires carries a code in the network_error_code TLV (SMPP 3.4
// section 5.3.2.31) of the given network type, with a message_state
// UNDELIVERABLE TLV, and with a failed receipt text but no state.
func networkErrorWires(typ, n int) []wire {
	ne := fmt.Sprintf("%02x%04x", typ, n)
	return []wire{
		{"network_error_code " + ne + ", message_state 5", sms.FormatTLV, "",
			`{"esm_class":4,"short_message":"id:7 stat:UNDELIV err:000","tlv":{"message_state":5,"network_error_code":"` + ne + `"}}`},
		{"network_error_code " + ne + ", stat:UNDELIV", sms.FormatTLV, "",
			`{"esm_class":4,"short_message":"id:7 stat:UNDELIV err:000","tlv":{"network_error_code":"` + ne + `"}}`},
	}
}

// infobipWire is an Infobip delivery report with the given status name and
// error id (0: none).
func infobipWire(status string, id int) wire {
	e := ""
	if id != 0 {
		e = fmt.Sprintf(`,"error":{"id":%d}`, id)
	}
	return wire{fmt.Sprintf("infobip %s error %d", status, id), dlr.FormatInfobip, "",
		`{"body":{"results":[{"messageId":"1","status":{"name":"` + status + `"}` + e + `}]}}`}
}

// wires returns every way the row's code is tested.
func wires(tb testing.TB, r tableRow) []wire {
	tb.Helper()
	switch r.table {
	case "map":
		// 3GPP TS 29.002 MAP errors: a GSM network_error_code, and
		// Infobip's error ids 1-36 (the same numbers).
		return append(networkErrorWires(3, num(tb, r)), infobipWire("UNDELIVERABLE_NOT_DELIVERED", num(tb, r)))
	case "sm-delivery-failure-cause":
		return []wire{infobipWire("UNDELIVERABLE_NOT_DELIVERED", 256+num(tb, r))}
	case "ansi41":
		return networkErrorWires(6, num(tb, r))
	case "map-err":
		return smppErrWires(tb, "map", r)
	case "twilio-smpp", "8x8":
		return smppErrWires(tb, r.table, r)
	case "twilio":
		return []wire{{"twilio", dlr.FormatTwilio, "", `{"form":{"MessageSid":"SM1","MessageStatus":"` + r.stat + `","ErrorCode":"` + r.code + `"}}`}}
	case "vonage":
		return []wire{{"vonage", dlr.FormatVonage, "", `{"body":{"messageId":"1","status":"` + r.stat + `","err-code":"` + r.code + `"}}`}}
	case "infobip-status":
		return []wire{infobipWire(r.stat, 0)}
	case "infobip":
		return []wire{infobipWire(r.stat, num(tb, r))}
	case "plivo":
		return []wire{{"plivo", dlr.FormatPlivo, "", `{"form":{"MessageUUID":"u","Status":"` + r.stat + `","ErrorCode":"` + r.code + `"}}`}}
	case "sinch":
		code := ""
		if r.code != "" {
			code = `,"code":` + r.code
		}
		return []wire{{"sinch", dlr.FormatSinch, "", `{"body":{"batch_id":"b","recipient":"447700900123","status":"` + r.stat + `"` + code + `}}`}}
	case "smpp-command-status":
		n := num(tb, r)
		return append(networkErrorWires(7, n),
			wire{"kannel NACK", dlr.FormatKannel, "", fmt.Sprintf(`{"raw_query":"type=16&answer=NACK%%2F0x%08x%%2Fx&fid=9"}`, n)})
	}
	tb.Fatalf("unknown table %q", r.table)
	return nil
}

// TestErrorTables walks every row of the published SMS error tables
// rebond's dialects come from (sms/testdata/tables) and checks the verdict of
// each code, on every wire it arrives by, so that no row of a table is
// forgotten and no representation of a code (decimal, zero-padded, TLV)
// reads differently; one subtest per table (an err dialect, a provider,
// a TLV code space). Where a table gives a permanence in rebond's terms
// (hard, soft, sender side, opt-out), the verdict must agree with it.
func TestErrorTables(t *testing.T) {
	t.Parallel()
	set := loadRules(t)
	byTable := map[string][]tableRow{}
	for _, r := range readTables(t) {
		byTable[r.table] = append(byTable[r.table], r)
	}
	for _, table := range []string{"map", "sm-delivery-failure-cause", "ansi41", "map-err", "twilio-smpp", "8x8",
		"twilio", "vonage", "infobip-status", "infobip", "plivo", "sinch", "smpp-command-status"} {
		rows := byTable[table]
		delete(byTable, table)
		t.Run(table, func(t *testing.T) {
			t.Parallel()
			if len(rows) == 0 {
				t.Fatal("no row")
			}
			for _, r := range rows {
				checkTableRow(t, set, r)
			}
		})
	}
	for table := range byTable {
		t.Errorf("table %s: not one the test knows", table)
	}
}

// checkTableRow checks that a row agrees with its source's permanence and
// that every wire of its code gets the row's verdict.
func checkTableRow(t *testing.T, set *rules.Set, r tableRow) {
	t.Helper()
	switch {
	case strings.Contains(r.permanence, "opt-out"):
		if r.outcome != "hard" || r.reason != "opted_out" {
			t.Errorf("%s: an opt-out is hard opted_out, row says %s %s", r.code, r.outcome, r.reason)
		}
	case r.permanence == "hard" && r.outcome != "hard",
		(r.permanence == "soft" || r.permanence == "sender") && r.outcome != "soft":
		t.Errorf("%s: the source says %s, row says %s", r.code, r.permanence, r.outcome)
	}
	for _, w := range wires(t, r) {
		e, err := dlr.ParseReceipt(w.format, []byte(w.payload), w.dialect)
		if err != nil {
			t.Errorf("%s (%s): ParseReceipt: %v", r.code, w.name, err)
			continue
		}
		v := set.Classify(e)
		if got, want := string(v.Outcome)+" "+string(v.Reason), r.outcome+" "+r.reason; got != want {
			t.Errorf("%s %q (%s): got %s (%s), want %s", r.code, r.meaning, w.name, got, v.Rule, want)
		}
	}
}
