package wire_test

import (
	"fmt"

	"github.com/gyro-rpc/gyro/wire"
)

// A server that serves both generations on one port looks at the first six
// bytes of each connection, then parses the rest with the matching codec.
func ExampleDetectProtocol() {
	frame, _ := wire.Append5(nil, &wire.Message5{Type: wire.MsgPing, SerializerID: 42, Data: []byte("ping")}, nil)
	for _, n := range []int{3, 6} {
		v, err := wire.DetectProtocol(frame[:n])
		fmt.Println(n, v, err)
	}
	switch v, _ := wire.DetectProtocol(frame); v {
	case wire.Pyro5:
		m, n, err := wire.Parse5(frame, nil)
		fmt.Println("pyro5:", m.Type, n, string(m.Data), err)
	case wire.Pyro4:
		m, n, err := wire.Parse(frame, nil)
		fmt.Println("pyro4:", m.Type, n, err)
	}
	// Output:
	// 3 0 <nil>
	// 6 502 <nil>
	// pyro5: PING 44 ping <nil>
}
