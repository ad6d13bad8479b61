package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
)

// Golden Pyro5 frames are captured from Pyro5 5.15 by
// testdata/pyro5/capture.py.

func golden5(t testing.TB, name string) []byte {
	t.Helper()
	return readGolden(t, filepath.Join("testdata", "pyro5", name+".golden"))
}

func goldenFiles5(t testing.TB) map[string][]byte {
	t.Helper()
	return goldenFilesIn(t, filepath.Join("testdata", "pyro5"))
}

func TestGolden5Headers(t *testing.T) {
	tests := []struct {
		name  string
		typ   MsgType
		flags Flags5
		seq   uint16
		ser   uint8
		corr  bool // the fixed correlation id of the capture
		data  string
		anns  []Annotation
	}{
		{"serpent_connect", MsgConnect, 0, 0, 1, false, "", nil},
		{"json_connect", MsgConnect, 0, 0, 3, false, `{"handshake": "hello", "object": "test.echoserver"}`, nil},
		{"marshal_invoke", MsgInvoke, 0, 1, 2, false, "", nil},
		{"msgpack_invoke", MsgInvoke, 0, 1, 4, false, "", nil},
		{"json_invoke", MsgInvoke, 0, 1, 3, false, `{"object": "test.echoserver", "method": "echo", "params": ["hello"], "kwargs": {}}`, nil},
		{"json_result", MsgResult, Flag5CorrID, 1, 3, false, `"hello"`, nil},
		{"serpent_result_exception", MsgResult, Flag5CorrID | Flag5Exception, 2, 1, false, "", nil},
		// The proxy connects on its first call, sending that call's annotations.
		{"corr_connect", MsgConnect, Flag5CorrID, 0, 1, true, "",
			[]Annotation{{"XYZW", []byte("annotation value")}}},
		{"oneway_annotated", MsgInvoke, Flag5CorrID | Flag5Oneway, 1, 1, true, "",
			[]Annotation{{"XYZW", []byte("annotation value")}}},
		{"batch_invoke", MsgInvoke, Flag5CorrID | Flag5Batch, 2, 1, true,
			"# serpent utf-8 python3.2\n('test.echoserver','<batch>',[('echo',(1,),{}),('echo',(2,),{})],None)", nil},
		{"compressed_invoke", MsgInvoke, Flag5Compressed, 1, 1, false, "", nil},
		{"ping", MsgPing, 0, 7, 42, false, "ping", nil},
		{"ping_reply", MsgPing, Flag5CorrID, 7, 42, false, "pong", nil},
		{"connectfail", MsgConnectFail, Flag5CorrID, 3, 1, false, "# serpent utf-8 python3.2\n'unknown object'", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := golden5(t, tt.name)
			m, n, err := Parse5(b, nil)
			if err != nil || n != len(b) {
				t.Fatalf("Parse5: n = %d of %d, err %v", n, len(b), err)
			}
			if m.Type != tt.typ || m.Flags != tt.flags || m.Seq != tt.seq || m.SerializerID != tt.ser {
				t.Errorf("got type %v flags %v seq %d ser %d, want %v %v %d %d", m.Type, m.Flags, m.Seq, m.SerializerID, tt.typ, tt.flags, tt.seq, tt.ser)
			}
			if tt.corr && !bytes.Equal(m.CorrID[:], corr) {
				t.Errorf("corr id %x, want %x", m.CorrID, corr)
			}
			if tt.data != "" && string(m.Data) != tt.data {
				t.Errorf("data %q, want %q", m.Data, tt.data)
			}
			if len(m.Annotations) != len(tt.anns) {
				t.Fatalf("annotations %v, want %v", m.Annotations, tt.anns)
			}
			for i, a := range tt.anns {
				if m.Annotations[i].Key != a.Key || !bytes.Equal(m.Annotations[i].Value, a.Value) {
					t.Errorf("annotation %d = %q, want %q", i, m.Annotations[i], a)
				}
			}
		})
	}
}

// TestGolden5RoundTrip re-encodes every captured frame: byte for byte when
// it was not compressed, to the same message when it was (Go's zlib output
// differs from Python's level 4).
func TestGolden5RoundTrip(t *testing.T) {
	for name, b := range goldenFiles5(t) {
		m, n, err := Parse5(b, nil)
		if err != nil || n != len(b) {
			t.Fatalf("%s: n = %d of %d, err %v", name, n, len(b), err)
		}
		compressed := m.Flags&Flag5Compressed != 0
		out, err := Append5(nil, &m, &Options{Compress: compressed})
		if err != nil {
			t.Fatalf("%s: Append5: %v", name, err)
		}
		if !compressed && !bytes.Equal(out, b) {
			t.Errorf("%s: re-encoded\n got %x\nwant %x", name, out, b)
		}
		back, _, err := Parse5(out, nil)
		if err != nil || !bytes.Equal(back.Data, m.Data) || back.Flags != m.Flags {
			t.Errorf("%s: round trip: %v, flags %v want %v", name, err, back.Flags, m.Flags)
		}
	}
}

func TestGolden5Compressed(t *testing.T) {
	m, _, err := Parse5(golden5(t, "compressed_result"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := serpentHeader + "'" + strings.Repeat("x", 300) + "'"
	if string(m.Data) != want {
		t.Errorf("inflated %q, want %q", m.Data, want)
	}
	if _, _, err := Parse5(golden5(t, "compressed_result"), &Options{MaxInflatedSize: 100}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxInflatedSize 100: err %v, want ErrTooLarge", err)
	}
}

// TestParse5Incremental feeds every prefix of a frame: all but the whole
// frame mean "need more", and none of them touch m.
func TestParse5Incremental(t *testing.T) {
	b := golden5(t, "oneway_annotated")
	var m Message5
	for i := range len(b) {
		n, err := Parse5Into(&m, b[:i], nil)
		if n != 0 || err != nil || m.Type != 0 {
			t.Fatalf("prefix %d: n = %d, err %v, type %v", i, n, err, m.Type)
		}
	}
	two := append(bytes.Clone(b), golden5(t, "ping")...)
	n, err := Parse5Into(&m, two, nil)
	if err != nil || n != len(b) || m.Type != MsgInvoke {
		t.Fatalf("first of two: n = %d, err %v", n, err)
	}
	if k, err := Parse5Into(&m, two[n:], nil); err != nil || k != len(two)-n || m.Type != MsgPing || len(m.Annotations) != 0 {
		t.Fatalf("second of two: n = %d, err %v, %+v", k, err, m)
	}
}

func TestParse5Errors(t *testing.T) {
	good := golden5(t, "oneway_annotated")
	mod := func(f func(b []byte)) []byte { b := bytes.Clone(good); f(b); return b }
	tests := []struct {
		name string
		b    []byte
		opts *Options
		want error
	}{
		{"not pyro", []byte("GET / HTTP/1.1\r\n"), nil, ErrInvalidHeader},
		{"pyro4 frame", golden(t, "ping"), nil, ErrInvalidHeader},
		{"short pyro4 prefix", []byte("PYRO\x00\x30"), nil, ErrInvalidHeader},
		{"bad magic", mod(func(b []byte) { b[39] ^= 1 }), nil, ErrInvalidHeader},
		{"too large", good, &Options{MaxMessageSize: 30}, ErrTooLarge},
		{"annotation overrun", mod(func(b []byte) { b[HeaderSize5+7] = 0xff }), nil, ErrAnnotation},
		{"non-ascii key", mod(func(b []byte) { b[HeaderSize5] = 0xc3 }), nil, ErrAnnotation},
		{"hmac configured", good, &Options{HMACKey: secret}, ErrNoHMAC5},
		{"bad zlib", mod(func(b []byte) { b[9] |= byte(Flag5Compressed) }), nil, ErrDecompress},
	}
	for _, tt := range tests {
		var m Message5
		_, err := Parse5Into(&m, tt.b, tt.opts)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
		if _, err := ReadMessage5(bytes.NewReader(tt.b), tt.opts); !errors.Is(err, tt.want) {
			t.Errorf("%s: ReadMessage5 err %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestDetectProtocol(t *testing.T) {
	tests := []struct {
		in   string
		want int
		err  bool
	}{
		{"", 0, false},
		{"PY", 0, false},
		{"PYRO\x00", 0, false},
		{"PYRO\x00\x30", Pyro4, false},
		{"PYRO\x01\xf6rest", Pyro5, false},
		{"PYRO\x01\xf5", 0, true},
		{"GET ", 0, true},
		{"X", 0, true},
	}
	for _, tt := range tests {
		if len(tt.in) < DetectSize && !tt.err {
			if _, err := ReadMessage5(strings.NewReader(tt.in), nil); err != io.EOF && err != io.ErrUnexpectedEOF {
				t.Errorf("ReadMessage5(%q): %v, want EOF", tt.in, err)
			}
		}
		got, err := DetectProtocol([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.err || (err != nil && !errors.Is(err, ErrInvalidHeader)) {
			t.Errorf("DetectProtocol(%q) = %d, %v; want %d, err %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	for _, name := range []string{"serpent_connect", "ping_reply"} {
		if v, err := DetectProtocol(golden5(t, name)); v != Pyro5 || err != nil {
			t.Errorf("Pyro5 %s: %d, %v", name, v, err)
		}
		if v, err := DetectProtocol(golden(t, name)); v != Pyro4 || err != nil {
			t.Errorf("Pyro4 %s: %d, %v", name, v, err)
		}
	}
}

func TestAppend5Errors(t *testing.T) {
	tests := []struct {
		name string
		m    Message5
		opts *Options
		want error
	}{
		{"short key", Message5{Type: MsgInvoke, Annotations: []Annotation{{"ABC", nil}}}, nil, ErrAnnotation},
		{"type too big", Message5{Type: 300}, nil, ErrInvalidHeader},
		{"too large", Message5{Type: MsgResult, Data: make([]byte, 50)}, &Options{MaxMessageSize: 49}, ErrTooLarge},
		{"hmac", Message5{Type: MsgPing}, &Options{HMACKey: secret}, ErrNoHMAC5},
	}
	for _, tt := range tests {
		dst := []byte("keep")
		out, err := Append5(dst, &tt.m, tt.opts)
		if !errors.Is(err, tt.want) || string(out) != "keep" {
			t.Errorf("%s: %q, %v; want %v and dst unchanged", tt.name, out, err, tt.want)
		}
	}
}

func TestParse5IntoAllocs(t *testing.T) {
	// STRM is one of the keys Pyro uses itself, which decode without
	// allocating a string.
	b, err := Append5(nil, &Message5{Type: MsgResult, Flags: Flag5ItemStreamResult, Data: []byte("stream"),
		Annotations: []Annotation{{"STRM", []byte("0123")}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var m Message5
	if _, err := Parse5Into(&m, b, nil); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() { Parse5Into(&m, b, nil) })
	if allocs != 0 {
		t.Errorf("Parse5Into allocates %v times per frame, want 0", allocs)
	}
	dst := make([]byte, 0, 1024)
	allocs = testing.AllocsPerRun(100, func() { dst, _ = Append5(dst[:0], &m, nil) })
	if allocs != 0 {
		t.Errorf("Append5 allocates %v times per frame, want 0", allocs)
	}
}

// TestPyro5DaemonTalksToGoFrames sends frames written by Append5 (payloads
// taken from the captures) to a real Pyro5 5.15 echo server and reads its
// replies with ReadMessage5: handshake, compressed call with an
// annotation and a correlation id, then PING.
func TestPyro5DaemonTalksToGoFrames(t *testing.T) {
	p := pyrotest.Start5(t, []string{"-m", "Pyro5.utils.echoserver", "-H", "127.0.0.1", "-p", "0"},
		regexp.MustCompile(`echo uri: PYRO:[^@]+@127\.0\.0\.1:(\d+)`))
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+p.Match[1], 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	roundTrip := func(m *Message5, opts *Options) *Message5 {
		t.Helper()
		out, err := Append5(nil, m, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(out); err != nil {
			t.Fatal(err)
		}
		r, err := ReadMessage5(conn, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	connect, _, _ := Parse5(golden5(t, "json_connect"), nil)
	if r := roundTrip(&connect, nil); r.Type != MsgConnectOK || r.SerializerID != 3 {
		t.Fatalf("CONNECT answered with %v ser %d: %s", r.Type, r.SerializerID, r.Data)
	}
	arg := strings.Repeat("gyro ", 50)
	call, _ := json.Marshal(map[string]any{"object": "test.echoserver", "method": "echo", "params": []string{arg}, "kwargs": map[string]any{}})
	m := Message5{Type: MsgInvoke, Seq: 1, SerializerID: 3, Flags: Flag5CorrID, Data: call,
		Annotations: []Annotation{{"XYZW", []byte("ignored by the daemon")}}}
	copy(m.CorrID[:], corr)
	r := roundTrip(&m, &Options{Compress: true})
	var got string
	if err := json.Unmarshal(r.Data, &got); err != nil || got != arg || r.Seq != 1 || r.CorrID != m.CorrID {
		t.Fatalf("echo: %v %q seq %d corr %x (flags %v)", err, r.Data, r.Seq, r.CorrID, r.Flags)
	}
	if r := roundTrip(&Message5{Type: MsgPing, Seq: 9, SerializerID: 42, Data: []byte("ping")}, nil); r.Type != MsgPing || r.Seq != 9 || string(r.Data) != "pong" {
		t.Fatalf("PING answered with %v seq %d %q", r.Type, r.Seq, r.Data)
	}

}

// TestFrameLenBothGenerations: server types size frames with FrameLen
// alone, so it must read either generation's header, and ask for more
// (0, nil) on every prefix shorter than that header.
func TestFrameLenBothGenerations(t *testing.T) {
	m4 := Message{Type: MsgPing, Seq: 1, SerializerID: 42, Data: []byte("ping")}
	f4, err := Append(nil, &m4, &Options{})
	if err != nil {
		t.Fatal(err)
	}
	m5 := Message5{Type: MsgPing, Seq: 1, SerializerID: 42, Data: []byte("ping"),
		Annotations: []Annotation{{Key: "XYZW", Value: []byte("v")}}}
	f5, err := Append5(nil, &m5, &Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		frame  []byte
		header int
	}{{"pyro4", f4, HeaderSize}, {"pyro5", f5, HeaderSize5}} {
		t.Run(tc.name, func(t *testing.T) {
			for k := 0; k < tc.header; k++ {
				if n, err := FrameLen(tc.frame[:k], nil); n != 0 || err != nil {
					t.Fatalf("FrameLen(%d bytes) = %d, %v; want 0, nil", k, n, err)
				}
			}
			if got := FrameHeaderSize(tc.frame); got != tc.header {
				t.Errorf("FrameHeaderSize = %d, want %d", got, tc.header)
			}
			n, err := FrameLen(tc.frame[:tc.header], nil)
			if err != nil || n != len(tc.frame) {
				t.Errorf("FrameLen = %d, %v; want %d", n, err, len(tc.frame))
			}
			if _, err := FrameLen(tc.frame, &Options{MaxMessageSize: 2}); !errors.Is(err, ErrTooLarge) {
				t.Errorf("FrameLen over the limit: %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestFlagsBetweenGenerations(t *testing.T) {
	for _, tc := range []struct {
		f4 Flags
		f5 Flags5
	}{
		{FlagException, Flag5Exception},
		{FlagCompressed, Flag5Compressed},
		{FlagOneway, Flag5Oneway},
		{FlagBatch, Flag5Batch},
		{FlagItemStreamResult, Flag5ItemStreamResult},
		{FlagKeepSerialized, Flag5KeepSerialized},
		{FlagException | FlagItemStreamResult, Flag5Exception | Flag5ItemStreamResult},
	} {
		if got := tc.f4.To5(); got != tc.f5 {
			t.Errorf("%v.To5() = %v, want %v", tc.f4, got, tc.f5)
		}
		if got := tc.f5.To4(); got != tc.f4 {
			t.Errorf("%v.To4() = %v, want %v", tc.f5, got, tc.f4)
		}
	}
	if got := FlagMetaOnConnect.To5(); got != 0 {
		t.Errorf("META_ON_CONNECT.To5() = %v, want 0", got)
	}
	if got := Flag5CorrID.To4(); got != 0 {
		t.Errorf("CORR_ID.To4() = %v, want 0", got)
	}
}
