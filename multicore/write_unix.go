//go:build unix

package multicore

import (
	"golang.org/x/sys/unix"

	"github.com/gyro-rpc/gyro/internal/sockio"
)

// writeNow writes to a connection's non-blocking socket from a worker.
func writeNow(fd int, b []byte) (int, error) { return sockio.Write(fd, b) }

// wouldBlock reports whether writeNow's error only means "not now".
func wouldBlock(err error) bool { return err == unix.EAGAIN || err == unix.EINTR }
