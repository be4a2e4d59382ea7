//go:build !unix

package email

import "os"

// readMailFile reads a whole file (see readfile_unix.go for why unix
// systems do it by hand).
func readMailFile(path string) ([]byte, error) { return os.ReadFile(path) }
