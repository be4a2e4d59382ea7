package namedsql

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestRead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []Query
		err   string // a substring of the error; "" for none
	}{
		{name: "statements in file then text order",
			files: map[string]string{
				"b.sql": "-- name: second-file\nSELECT 2;\n",
				"a.sql": "-- a header the reader skips\n-- name: lock-events\n-- why it locks\nSELECT 1\nFROM t;\n\n-- name: add-rate-days2  \nINSERT 1;\n",
			},
			want: []Query{
				{Name: "lock-events", File: "a.sql", SQL: "-- why it locks\nSELECT 1\nFROM t;"},
				{Name: "add-rate-days2", File: "a.sql", SQL: "INSERT 1;"},
				{Name: "second-file", File: "b.sql", SQL: "SELECT 2;"},
			}},
		{name: "a file without names", files: map[string]string{"a.sql": "SELECT 1;\n"}},
		{name: "other files are not read", files: map[string]string{"a.txt": "-- name: x\nSELECT 1;\n"}},
		{name: "defined twice", files: map[string]string{"a.sql": "-- name: x\nSELECT 1;\n", "b.sql": "-- name: x\nSELECT 2;\n"},
			err: `b.sql: query "x" defined twice (first in a.sql)`},
		{name: "upper case", files: map[string]string{"a.sql": "-- name: lockEvents\nSELECT 1;\n"}, err: `query name "lockEvents"`},
		{name: "underscore", files: map[string]string{"a.sql": "-- name: lock_events\nSELECT 1;\n"}, err: `query name "lock_events"`},
		{name: "empty", files: map[string]string{"a.sql": "-- name: \nSELECT 1;\n"}, err: `query name ""`},
		{name: "a leading digit", files: map[string]string{"a.sql": "-- name: 2nd\nSELECT 1;\n"}, err: `query name "2nd"`},
		{name: "a trailing hyphen", files: map[string]string{"a.sql": "-- name: lock-\nSELECT 1;\n"}, err: `query name "lock-"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{}
			for name, text := range tc.files {
				fsys[name] = &fstest.MapFile{Data: []byte(text)}
			}
			got, err := Read(fsys, "*.sql")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Read: %v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}
