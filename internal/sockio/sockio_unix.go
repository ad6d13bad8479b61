//go:build unix && !linux

package sockio

import "golang.org/x/sys/unix"

// Read and Write read and write a connected, non-blocking socket; errors
// are raw errnos, so callers can tell EAGAIN apart.
func Read(fd int, p []byte) (int, error)  { return unix.Read(fd, p) }
func Write(fd int, p []byte) (int, error) { return unix.Write(fd, p) }
