//go:build unix

package email

import (
	"errors"
	"io/fs"

	"golang.org/x/sys/unix"
)

// maxRead bounds one read(2): some systems refuse larger ones (macOS
// fails a read of more than 2 GiB with EINVAL), as package os knows.
const maxRead = 1 << 30

// readMailFile reads a whole file with four system calls (open, fstat,
// read, close). os.ReadFile also registers the descriptor with the
// runtime poller, which refuses regular files, and toggles its flags: ten
// calls per file, and on virtual machines where a system call costs tens
// of microseconds they were a third of classifying a
// directory of small bounces.
//
// Unlike os.ReadFile, which reads to EOF, the size fstat reports ends the
// read: a file still being appended to is read as it was when opened. A
// file that reports no size (procfs) is read to EOF.
func readMailFile(path string) ([]byte, error) {
	fd, err := retryEINTR(func() (int, error) { return unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0) })
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if _, err := retryEINTR(func() (int, error) { return 0, unix.Fstat(fd, &st) }); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return nil, &fs.PathError{Op: "read", Path: path, Err: unix.EISDIR}
	}
	size := int(st.Size)
	if int64(size) != int64(st.Size) || size < 0 {
		size = 0 // does not fit an int: read to EOF, growing
	}
	buf := make([]byte, 0, max(size, 512))
	for {
		if cap(buf)-len(buf) < 512 {
			buf = append(buf, make([]byte, 512)...)[:len(buf)]
		}
		free := buf[len(buf):cap(buf)]
		if len(free) > maxRead {
			free = free[:maxRead]
		}
		n, err := retryEINTR(func() (int, error) { return unix.Read(fd, free) })
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		buf = buf[:len(buf)+n]
		if n == 0 || (size > 0 && len(buf) >= size) {
			return buf, nil
		}
	}
}

// retryEINTR calls f again while it fails with EINTR, as package os does.
func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}
