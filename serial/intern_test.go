package serial

import "testing"

// The names every daemon sees (Pyro's own objects and methods, short
// object ids and method names, the keys of Pyro's dicts) get slots of
// their own in the intern table: a collision would make two names that
// alternate in a client's calls refill each other's slot on every call.
func TestInternHashSpreadsCommonNames(t *testing.T) {
	names := []string{
		"Pyro.NameServer", "Pyro.Daemon", "lookup", "register", "remove", "list", "ping", "count",
		"get_metadata", "get_next_stream_item", "close_stream", "info", "registered", "__getattr__", "__setattr__",
		"echo", "echo1", "echo2", "oneway", "oneway_echo", "test.echoserver", "bench", "sink", "log",
		"a", "b", "ab", "ba", "abc", "acb", "x", "y", "get", "set", "value", "name", "data",
		"method", "object", "params", "kwargs", "methods", "attrs", "handshake", "meta",
		"__class__", "__exception__", "args", "attributes", "state", "uri", "metadata",
	}
	slots := make(map[uint32]string)
	for _, n := range names {
		h := internHash([]byte(n))
		if int(h) >= len(internTable) {
			t.Fatalf("%q hashes to %d, past the table's %d slots", n, h, len(internTable))
		}
		if other, ok := slots[h]; ok {
			t.Errorf("%q and %q share slot %d", other, n, h)
		}
		slots[h] = n
	}
	e := internLookup([]byte("echo"))
	if e.s != "echo" || internLookup([]byte("echo")) != e {
		t.Errorf("a name looked up twice is not the same entry")
	}
}
