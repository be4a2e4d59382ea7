//go:build unix

package process

import "golang.org/x/sys/unix"

// OpenFileLimit is the process's RLIMIT_NOFILE soft limit (the Go runtime
// raises it to the hard limit at start), 0 when unknown.
func OpenFileLimit() int {
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &r); err != nil || r.Cur > 1<<30 {
		return 0
	}
	return int(r.Cur)
}
