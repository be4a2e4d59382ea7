package email

import (
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
)

// MailFile is a file of mail to read: Path opens it, Name reports it (the
// path relative to the directory it was found under, with slashes, or
// the path as given).
type MailFile struct{ Path, Name string }

// MailFiles yields the files of mail under paths, in order: a file as
// given, a directory's regular files recursively in lexical order (a
// maildir's cur/ and new/, or any tree of .eml files), dot files and dot
// directories skipped. It stops at the first path or directory that
// cannot be read, whose error it yields with a zero MailFile.
func MailFiles(paths ...string) iter.Seq2[MailFile, error] {
	return func(yield func(MailFile, error) bool) {
		for _, p := range paths {
			info, err := os.Stat(p)
			if err != nil {
				yield(MailFile{}, err)
				return
			}
			if !info.IsDir() {
				if !yield(MailFile{p, p}, nil) {
					return
				}
				continue
			}
			if !walkMailDir(p, yield) {
				return
			}
		}
	}
}

// walkMailDir yields the regular files under dir, named relative to it;
// false means the caller stopped or an error was yielded.
func walkMailDir(dir string, yield func(MailFile, error) bool) bool {
	stopped := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, rerr := filepath.Rel(dir, path)
		if rerr != nil {
			rel = path
		}
		if !yield(MailFile{path, filepath.ToSlash(rel)}, nil) {
			stopped = true
			return filepath.SkipAll
		}
		return nil
	})
	if err != nil {
		yield(MailFile{}, err)
		return false
	}
	return !stopped
}
