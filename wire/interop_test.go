package wire

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
)

// pyParse receives frames with Pyro4's own Message.recv from a fake
// connection and prints what it decoded, one JSON object per line.
const pyParse = `
import json, os, sys, zlib
from Pyro4 import message

class Conn(object):
    def __init__(self, data):
        self.data = data
    def recv(self, n):
        chunk, self.data = self.data[:n], self.data[n:]
        if len(chunk) != n:
            raise EOFError("short read")
        return chunk

key = os.environ["FRAME_KEY"].encode() or None
for line in os.environ["FRAMES"].split():
    conn = Conn(bytes.fromhex(line))
    msg = message.Message.recv(conn, hmac_key=key)
    assert not conn.data, "bytes left over"
    wire_flags = msg.flags
    msg.decompress_if_needed()
    print(json.dumps({
        "type": msg.type, "flags": wire_flags, "seq": msg.seq, "ser": msg.serializer_id,
        "ann": {k: v.hex() for k, v in msg.annotations.items()},
        "data": msg.data.hex(),
    }))
`

// TestPythonParsesGoFrames checks that Pyro4 4.82 accepts what Append
// writes: compressed payloads (whose bytes differ from Python's zlib), HMAC
// over several annotations, duplicates and empty payloads.
func TestPythonParsesGoFrames(t *testing.T) {
	text := bytes.Repeat([]byte("compress me, "), 40)
	cases := []struct {
		key  []byte
		opts Options
		m    Message
	}{
		{nil, Options{}, Message{Type: MsgInvoke, Seq: 1, SerializerID: 1, Data: []byte(serpentHeader + "None"), Annotations: []Annotation{{"CORR", corr}}}},
		{nil, Options{Compress: true}, Message{Type: MsgResult, Flags: FlagBatch, Seq: 65535, SerializerID: 2, Data: text, Annotations: []Annotation{{"CORR", corr}}}},
		{nil, Options{}, Message{Type: MsgConnectOK, SerializerID: 3}},
		{secret, Options{HMACKey: secret}, Message{Type: MsgPing, SerializerID: 42, Data: []byte("pong")}},
		{secret, Options{HMACKey: secret, Compress: true}, Message{Type: MsgResult, Seq: 7, SerializerID: 1, Data: text,
			Annotations: []Annotation{{"XUSR", []byte("one")}, {"CORR", corr}, {"ABCD", nil}, {"XUSR", []byte("two")}, {"zz~!", []byte{0, 255}}}}},
	}
	for _, signed := range []bool{false, true} {
		var frames []string
		var want []Message
		key := ""
		for _, c := range cases {
			if (c.key != nil) != signed {
				continue
			}
			key = string(c.key)
			out, err := Append(nil, &c.m, &c.opts)
			if err != nil {
				t.Fatal(err)
			}
			frames = append(frames, hex.EncodeToString(out))
			back, _, err := Parse(out, &c.opts)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, back)
		}
		stdout, err := pyrotest.Run(t, context.Background(), pyParse, "FRAMES="+strings.Join(frames, " "), "FRAME_KEY="+key)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != len(want) {
			t.Fatalf("python decoded %d frames, want %d:\n%s", len(lines), len(want), stdout)
		}
		for i, line := range lines {
			var got struct {
				Type, Flags, Seq, Ser int
				Ann                   map[string]string
				Data                  string
			}
			if err := json.Unmarshal([]byte(line), &got); err != nil {
				t.Fatal(err)
			}
			w := want[i]
			if got.Type != int(w.Type) || got.Flags != int(w.Flags) || got.Seq != int(w.Seq) || got.Ser != int(w.SerializerID) ||
				got.Data != hex.EncodeToString(w.Data) {
				t.Errorf("frame %d: python saw %+v, want %+v", i, got, w)
			}
			for _, a := range w.Annotations {
				v, _ := w.Annotation(a.Key)
				if got.Ann[a.Key] != hex.EncodeToString(v) {
					t.Errorf("frame %d: python annotation %s = %s, want %x", i, a.Key, got.Ann[a.Key], v)
				}
			}
		}
	}
}
