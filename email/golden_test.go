package email_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/email"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the parser's output")

// goldenMails is a representative subset of the corpus: each format and
// module once, and the mails that exercise a path of their own (several
// recipients, an inline DSN, a lost boundary, a quoted bounce, ISO-2022-JP,
// a complaint without recipient).
var goldenMails = []string{
	"arf-01", "arf-11", "arf-16", "arf-26",
	"lhost-einsundeins-02", "lhost-ezweb-01", "lhost-kddi-01", "lhost-mcafee-01",
	"lhost-messagingserver-03", "lhost-outlook-04", "lhost-postfix-01", "lhost-postfix-02",
	"lhost-postfix-49", "lhost-postfix-75", "lhost-powermta-01", "lhost-receivingses-04",
	"lhost-sendgrid-01", "lhost-sendmail-18", "lhost-sendmail-25", "lhost-sendmail-54",
	"lhost-surfcontrol-01", "lhost-v5sendmail-07", "lhost-verizon-02", "lhost-x4-01",
	"lhost-x5-01", "lhost-yahoo-03", "lhost-yandex-02", "rfc3464-04", "rfc3464-28",
	"rfc3464-35", "rhost-franceptt-04", "rhost-gsuite-03",
}

// TestGolden compares the full parse of each golden mail with
// testdata/golden/<name>.json; go test ./email -update rewrites them.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, name := range goldenMails {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join("testdata/corpus/maildir/bsd", name+".eml"))
			if err != nil {
				t.Fatal(err)
			}
			r, err := email.Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata/golden", name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./email -update)", err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("%s differs (-want +got):\n%s", path, cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")))
			}
		})
	}
}
