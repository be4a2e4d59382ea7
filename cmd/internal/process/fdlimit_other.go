//go:build !unix

package process

// OpenFileLimit is the process's open-file limit, unknown here: 0.
func OpenFileLimit() int { return 0 }
