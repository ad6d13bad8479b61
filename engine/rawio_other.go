//go:build !unix

package engine

import "net"

// rawServer: where there are no raw socket calls, run's read loop serves
// every connection.
func rawServer(net.Conn) connServer { return nil }
