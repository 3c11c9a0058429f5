package regfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// ErrNotRegular means a path names something other than a regular file:
// a directory, a named pipe, a device or a socket.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge means a regular file is larger than its reader's limit.
var ErrTooLarge = errors.New("file too large")

// NotRegularError is the error of a path that is not a regular file. It
// matches ErrNotRegular with errors.Is and reads, for a FIFO, "not a
// regular file (a named pipe)".
type NotRegularError struct {
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string { return ErrNotRegular.Error() + " (" + Kind(e.Mode) + ")" }

// Is makes errors.Is(err, ErrNotRegular) hold.
func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

// TooLargeError is the error of a regular file larger than the limit. It
// matches ErrTooLarge with errors.Is.
type TooLargeError struct {
	Size, Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("larger than the limit of %s (%d bytes)", Size(e.Limit), e.Size)
}

// Is makes errors.Is(err, ErrTooLarge) hold.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Kind names the kind of file mode describes, with an article, as
// diagnostics say it: "a directory", "a named pipe".
func Kind(mode fs.FileMode) string {
	switch {
	case mode.IsRegular():
		return "a regular file"
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeCharDevice != 0:
		return "a character device"
	case mode&fs.ModeDevice != 0:
		return "a block device"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "an irregular file"
}

// Size renders a limit in the unit it was written in: "16 MiB", "1 GiB".
func Size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Open opens path for reading, following symbolic links, and returns it
// with its fstat information when it is a regular file of at most limit
// bytes (no limit when limit < 0). The open itself never blocks: it is made
// with O_NONBLOCK, so that a named pipe without a writer or a device that
// waits for a carrier returns at once, and the kind is then checked on the
// open descriptor, so a file swapped between a stat and the open cannot
// slip through.
//
// O_NONBLOCK stays set: it changes nothing for files on disk, and a
// pseudo-file that is regular yet blocks on read (/proc/kmsg, a tracing
// pipe) then fails with EAGAIN instead of hanging roost. Read the file
// with ReadAt (pread), as ReadFile and an io.SectionReader do: Go's Read
// would park on EAGAIN in its poller, waiting for data forever.
//
// Errors are *os.PathError with Op "open" wrapping the system's error, a
// *NotRegularError or a *TooLargeError.
func Open(path string, limit int64) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &os.PathError{Op: "open", Path: path, Err: &NotRegularError{Mode: fi.Mode()}}
	}
	if limit >= 0 && fi.Size() > limit {
		f.Close()
		return nil, nil, &os.PathError{Op: "open", Path: path, Err: &TooLargeError{Size: fi.Size(), Limit: limit}}
	}
	return f, fi, nil
}

// ReadFile returns the contents of the regular file at path, which must be
// at most limit bytes (limit >= 0). A file that grows past the limit while
// it is read is refused as well, so the memory it takes is bounded by limit
// whatever the file does. Errors are those of Open, or the read's.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, fi, err := Open(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()) + 512)
	if _, err := buf.ReadFrom(io.NewSectionReader(f, 0, limit+1)); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	if int64(buf.Len()) > limit {
		return nil, &os.PathError{Op: "read", Path: path, Err: &TooLargeError{Size: int64(buf.Len()), Limit: limit}}
	}
	return buf.Bytes(), nil
}
