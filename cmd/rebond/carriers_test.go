package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/phone"
	"github.com/rebond/rebond/internal/browsertest"
	"github.com/rebond/rebond/sms/dlr"
	"github.com/rebond/rebond/store"
)

// corpusReceipts reads the provider callbacks of the SMS corpus
// (sms/testdata/receipts.tsv) that name their message and recipient, as
// dlr.ParseReceipts reads them, each with the outcome its label gives.
func corpusReceipts(t *testing.T) (events []channels.Event, outcomes []string) {
	t.Helper()
	b, err := os.ReadFile("../../sms/testdata/receipts.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		c := strings.Split(line, "\t")
		if i == 0 || len(c) != 8 || strings.HasPrefix(c[2], "smpp") {
			continue
		}
		evs, err := dlr.ParseReceipts(c[2], []byte(c[4]), c[3])
		if err != nil {
			continue // a row that reports no delivery (a Sinch summary)
		}
		for _, e := range evs {
			if e.MessageID != "" && e.Recipient != "" {
				events, outcomes = append(events, e), append(outcomes, c[5])
			}
		}
	}
	return events, outcomes
}

// TestRatesByCarrier: the corpus's provider callbacks, each after a sent
// event that names no country or carrier (as a sender posts them), give
// rates by country (from the numbers) and by carrier (Vonage's
// network-code) in the API, its CSV and `rebond rates`, each delivery
// counted once under the carrier its receipt named, and on the dashboard's
// carriers page (dashboard, below). It sets REBOND_DATABASE_URL for the
// CLI, so it does not run in parallel.
func TestRatesByCarrier(t *testing.T) {
	cfg := testConfig(t, 9, nil)
	in := start(t, cfg)
	receipts, outcomes := corpusReceipts(t)
	if len(receipts) < 40 {
		t.Fatalf("%d corpus receipts with a message and a recipient, want the provider rows", len(receipts))
	}
	at := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	// The expected rows: a delivery's country is its number's, its
	// carrier the receipt's MCC-MNC; each counts once by its label.
	type tally struct{ sent, delivered, soft, hard int64 }
	wantCountry, wantCarrier := map[string]tally{}, map[string]tally{}
	// The dashboard's carrier rows are by country and carrier, named as
	// it names them: "GB 23410", "FR, carrier unknown".
	wantNetwork := map[string]tally{}
	var sends, reports []channels.Event
	seen := map[string]bool{}
	for i, e := range receipts {
		key := e.MessageID + " " + e.Recipient
		if seen[key] {
			continue // one delivery, one label
		}
		seen[key] = true
		sends = append(sends, channels.Event{Channel: channels.SMS, Type: channels.Sent, MessageID: e.MessageID,
			Recipient: e.Recipient, Campaign: "corpus", OccurredAt: at})
		e.Campaign, e.OccurredAt = "corpus", at.Add(time.Minute)
		reports = append(reports, e)
		number, err := channels.NormalizeRecipient(channels.SMS, e.Recipient)
		if err != nil {
			t.Fatalf("%s: %v", e.Recipient, err)
		}
		carrier, country := "unknown", phone.Country(number)
		network := country + ", carrier unknown"
		if e.SMS != nil && e.SMS.MCCMNC != "" {
			carrier = e.SMS.MCCMNC
			network = country + " " + carrier
		}
		for _, k := range []struct {
			m   map[string]tally
			key string
		}{{wantCountry, country}, {wantCarrier, carrier}, {wantNetwork, network}} {
			n := k.m[k.key]
			n.sent++
			switch outcomes[i] {
			case "delivered":
				n.delivered++
			case "soft":
				n.soft++
			case "hard":
				n.hard++
			}
			k.m[k.key] = n
		}
	}
	if n := wantCarrier["23410"].sent; n < 10 {
		t.Fatalf("%d Vonage deliveries on 23410, want the corpus's", n)
	}
	// The sends first, counted under their numbers' countries; then the
	// receipts, which move the Vonage deliveries to their carrier.
	applied := 0
	for _, batch := range [][]channels.Event{sends, reports} {
		if code := in.do("POST", "/v1/events", batch, nil); code != 202 {
			t.Fatalf("post %d events: %d", len(batch), code)
		}
		applied += len(batch)
		in.waitApplied(applied, 60*time.Second)
	}

	rows := func(group string) map[string]tally {
		t.Helper()
		var r struct{ Rows []store.RateRow }
		if code := in.do("GET", "/v1/rates?channel=sms&group_by="+group, nil, &r); code != 200 {
			t.Fatalf("rates by %s: %d", group, code)
		}
		got := map[string]tally{}
		for _, row := range r.Rows {
			got[row.Country+row.Carrier] = tally{row.Sent, row.Delivered, row.Soft, row.Hard}
		}
		return got
	}
	if diff := cmp.Diff(wantCountry, rows("country"), cmp.AllowUnexported(tally{})); diff != "" {
		t.Errorf("rates by country (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantCarrier, rows("carrier"), cmp.AllowUnexported(tally{})); diff != "" {
		t.Errorf("rates by carrier (-want +got):\n%s", diff)
	}

	// CSV: the country and carrier columns, last.
	req, _ := http.NewRequest("GET", in.base+"/v1/rates?channel=sms&group_by=country,carrier&format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("csv: %v\n%s", err, body)
	}
	head := recs[0]
	if head[len(head)-2] != "country" || head[len(head)-1] != "carrier" {
		t.Errorf("csv header %q, want country and carrier last", head)
	}
	gb := wantCarrier["23410"]
	wantLine := fmt.Sprintf("sms,,,,%d,%d,%d,%d", gb.sent, gb.delivered, gb.soft, gb.hard)
	found := false
	for _, r := range recs[1:] {
		if r[len(r)-2] == "GB" && r[len(r)-1] == "23410" {
			found = strings.HasPrefix(strings.Join(r, ","), wantLine)
		}
	}
	if !found {
		t.Errorf("csv has no GB,23410 row starting %q:\n%s", wantLine, body)
	}

	// `rebond rates`: COUNTRY and CARRIER columns.
	t.Setenv("REBOND_DATABASE_URL", cfg.Database.URL)
	out, err := rebondCLI(t, "rates", "--channel", "sms", "--group-by", "country,carrier")
	if err != nil {
		t.Fatal(err)
	}
	header, rest, _ := strings.Cut(out, "\n")
	if !strings.Contains(strings.Join(strings.Fields(header), " "), "DOMAIN COUNTRY CARRIER BUCKET SENT") {
		t.Errorf("rates table header: %s", header)
	}
	want := fmt.Sprintf("GB  23410  -  %d  %d  %d  %d", gb.sent, gb.delivered, gb.soft, gb.hard)
	if !strings.Contains(strings.Join(strings.Fields(rest), "  "), strings.Join(strings.Fields(want), "  ")) {
		t.Errorf("rates table has no %q row:\n%s", want, out)
	}

	t.Run("dashboard", func(t *testing.T) {
		want := map[string]map[string]pageRow{}
		for table, rows := range map[string]map[string]tally{"Carriers": wantNetwork, "Countries": wantCountry} {
			want[table] = map[string]pageRow{}
			for k, n := range rows {
				want[table][k] = pageRow{n.sent, n.soft, n.hard, n.delivered}
			}
		}
		dashboardCarriers(t, in.base, want)
	})
}

// pageRow is a row of the dashboard's rate tables: messages sent and the
// soft, hard and delivered counts under their rates.
type pageRow struct{ Sent, Soft, Hard, Delivered int64 }

// dashboardCarriers signs in to the dashboard at base in headless
// Chromium with the admin token, opens /ui/carriers with every network
// and country listed (min=1) and checks that its two tables, Carriers and
// Countries, show want's rows (by the page's labels), each rate the
// count under it over the messages sent. It saves a screenshot of the
// page, the evidence that the dashboard shows the corpus.
func dashboardCarriers(t *testing.T, base string, want map[string]map[string]pageRow) {
	b := browsertest.New(t, base)
	b.SignIn("the admin token", testToken, ".stats")
	b.Open("/ui/carriers?min=1", "table.data")
	// Each table under its heading; a cell is its texts ("6.67%", "2").
	var got map[string][][][]string
	if err := json.Unmarshal([]byte(b.Eval(`JSON.stringify(Object.fromEntries([...document.querySelectorAll("main h2")].map(h => {
		let el = h.nextElementSibling;
		while (el && !el.matches(".table-wrap, h2")) el = el.nextElementSibling;
		return [h.innerText, el && el.matches(".table-wrap") ? [...el.querySelectorAll("tbody tr")].map(r => [[r.querySelector("th").innerText],
			...[...r.querySelectorAll("td")].map(td => [...td.childNodes].map(n => n.textContent.trim()).filter(s => s))]) : []];
	})))`)), &got); err != nil {
		t.Fatalf("read the tables: %v", err)
	}
	for table, wantRows := range want {
		gotRows := map[string]pageRow{}
		for _, cells := range got[table] {
			if len(cells) != 6 || len(cells[1]) != 1 || len(cells[2]) != 2 || len(cells[3]) != 2 || len(cells[4]) != 2 {
				t.Errorf("%s: a row is not label, sent, soft, hard, delivered, complaints: %q", table, cells)
				continue
			}
			var r pageRow
			for _, c := range []struct {
				n    *int64
				text []string
			}{{&r.Sent, cells[1]}, {&r.Soft, cells[2]}, {&r.Hard, cells[3]}, {&r.Delivered, cells[4]}} {
				*c.n = pageCount(t, c.text[len(c.text)-1])
				if len(c.text) == 2 {
					checkRate(t, table+" "+cells[0][0], c.text[0], *c.n, r.Sent)
				}
			}
			gotRows[cells[0][0]] = r
		}
		if diff := cmp.Diff(wantRows, gotRows); diff != "" {
			t.Errorf("dashboard's %s table (-want +got):\n%s", table, diff)
		}
	}
	b.See("carriers page", "Worst carriers", "GB 23410", "Hard rate of the 10 worst carriers",
		fmt.Sprintf("All %d carriers received at least 1 message.", len(want["Carriers"])))
	b.Shot("30-carriers-corpus") // logs its path
	b.Clean()
}

// pageCount reads a count as the dashboard writes it ("1,234").
func pageCount(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	if err != nil {
		t.Errorf("count %q: %v", s, err)
	}
	return n
}

// checkRate checks that a rate as the dashboard writes it ("6.67%",
// "12.5%", "0%") is k of n to its precision.
func checkRate(t *testing.T, what, s string, k, n int64) {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	exact := 100 * float64(k) / float64(n)
	if err != nil || !strings.HasSuffix(s, "%") || math.Abs(v-exact) > 0.05 {
		t.Errorf("%s: rate %q, want %d of %d (%.3f%%)", what, s, k, n, exact)
	}
}
