package wire_test

import (
	"bytes"
	"fmt"

	"github.com/gyro-rpc/gyro/wire"
)

func ExampleAppend() {
	m := &wire.Message{
		Type:         wire.MsgInvoke,
		Seq:          1,
		SerializerID: 1, // serpent
		Data:         []byte("# serpent utf-8 python3.2\n('test.echoserver','echo',('hi',),{})"),
	}
	m.SetAnnotation("CORR", []byte("\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff"))
	frame, err := wire.Append(nil, m, &wire.Options{HMACKey: []byte("secret")})
	if err != nil {
		panic(err)
	}
	h, _ := wire.ParseHeader(frame)
	fmt.Printf("%v seq %d, %d bytes, checksum %#x\n", h.Type, h.Seq, h.FrameSize(), h.Checksum)
	// Output: INVOKE seq 1, 135 bytes, checksum 0x358e
}

func ExampleParse() {
	frame, _ := wire.Append(nil, &wire.Message{Type: wire.MsgPing, SerializerID: 42, Data: []byte("ping")}, nil)
	buf := append(frame[:len(frame):len(frame)], "PYRO"...) // a whole frame and the start of the next

	for len(buf) > 0 {
		m, n, err := wire.Parse(buf, nil)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		if n == 0 {
			fmt.Printf("need more than %d bytes\n", len(buf))
			return
		}
		fmt.Printf("%v %q\n", m.Type, m.Data)
		buf = buf[n:]
	}
	// Output:
	// PING "ping"
	// need more than 4 bytes
}

func ExampleDecoder() {
	var stream []byte
	for seq := uint16(1); seq <= 2; seq++ {
		stream, _ = wire.Append(stream, &wire.Message{Type: wire.MsgResult, Seq: seq, SerializerID: 2, Data: []byte("null")}, nil)
	}
	d := wire.NewDecoder(nil)
	r := bytes.NewReader(stream)
	chunk := make([]byte, 10) // pieces as a non-blocking socket might deliver them
	for {
		k, _ := r.Read(chunk)
		if k == 0 {
			break
		}
		d.Feed(chunk[:k])
		for {
			m, err := d.Next()
			if err != nil {
				panic(err)
			}
			if m == nil {
				break
			}
			fmt.Println(m.Type, m.Seq, string(m.Data))
		}
	}
	fmt.Println("left over:", d.Buffered())
	// Output:
	// RESULT 1 null
	// RESULT 2 null
	// left over: 0
}
