package email_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/configs"
	"github.com/rebond/rebond/email"
)

// corpusMails reads every mail of the corpus.
func corpusMails(tb testing.TB) [][]byte {
	tb.Helper()
	paths, err := filepath.Glob("testdata/corpus/maildir/bsd/*.eml")
	if err != nil || len(paths) == 0 {
		tb.Fatalf("corpus: %v (%d files)", err, len(paths))
	}
	mails := make([][]byte, len(paths))
	for i, p := range paths {
		if mails[i], err = os.ReadFile(p); err != nil {
			tb.Fatal(err)
		}
	}
	return mails
}

// BenchmarkParse measures Parse alone, per mail, over the whole corpus.
func BenchmarkParse(b *testing.B) {
	mails := corpusMails(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := email.Parse(mails[i%len(mails)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClassify measures what `rebond classify email` does per mail:
// ParseOwned (the command hands each file's buffer over; nothing changes
// the mails here either), Events and the rules' verdict for each event.
func BenchmarkClassify(b *testing.B) {
	mails := corpusMails(b)
	set, err := rules.Load(configs.Files, "rules/*.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		rep, err := email.ParseOwned(mails[i%len(mails)])
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range rep.Events(email.EventOptions{MaxRaw: -1}) {
			set.Classify(e)
		}
	}
}
