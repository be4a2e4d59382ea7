// Package namedsql reads files of named SQL statements, the form of
// store/queries/*.sql: each statement follows a "-- name: x" line and runs
// to the next one. The store loads its statements with it at run time, and
// querygen generates the store's names of them from the same reading.
package namedsql

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
)

// Query is one named statement.
type Query struct {
	// Name is the statement's name: lowercase words and digits joined by
	// hyphens ("lock-events").
	Name string
	// File is the path, in the file system read, of the file it is in.
	File string
	// SQL is the statement, the comments after its name line included,
	// without surrounding blank space.
	SQL string
}

// namePattern is what a name may be: it becomes an identifier
// (querygen), so words of lowercase letters and digits, hyphenated.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Read returns the statements of the files of fsys that match pattern
// (fs.Glob), in file name order and, within a file, in order. Text before
// a file's first name line is ignored. A name that is malformed or
// defined twice is an error.
func Read(fsys fs.FS, pattern string) ([]Query, error) {
	files, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	var out []Query
	seen := make(map[string]string)
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		for _, part := range strings.Split(string(b), "-- name: ")[1:] {
			name, body, _ := strings.Cut(part, "\n")
			name = strings.TrimSpace(name)
			if !namePattern.MatchString(name) {
				return nil, fmt.Errorf("%s: query name %q: want lowercase words and digits joined by hyphens", f, name)
			}
			if first, dup := seen[name]; dup {
				return nil, fmt.Errorf("%s: query %q defined twice (first in %s)", f, name, first)
			}
			seen[name] = f
			out = append(out, Query{Name: name, File: f, SQL: strings.TrimSpace(body)})
		}
	}
	return out, nil
}
