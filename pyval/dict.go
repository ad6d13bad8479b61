package pyval

// Item is one key/value pair of a Dict.
type Item struct {
	Key, Value any
}

// Dict is a Python dict: insertion-ordered, with keys of any hashable model
// type (str, int, float, bool, None, bytes, tuple). Setting an existing key
// replaces its value in place, as in Python.
//
// Keys compare by KeyEqual. Lookups are linear: Pyro4 dicts on the wire are
// small (call kwargs, handshakes, metadata), and a KeyIndex in every Dict
// would cost every decoded dict more than it saves there. Code that builds a
// large dict whose keys may repeat does it with AddItem and a KeyIndex, as
// the decoders do; keys known to be unique go in with Append.
type Dict struct {
	items []Item
}

// NewDict returns an empty dict with room for n items.
func NewDict(n int) *Dict { return &Dict{items: make([]Item, 0, n)} }

// DictOf builds a dict from alternating keys and values; it panics on an odd
// count, which is a programming error.
func DictOf(kv ...any) *Dict {
	if len(kv)%2 != 0 {
		panic("pyval.DictOf: odd number of arguments")
	}
	d := NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		d.Set(kv[i], kv[i+1])
	}
	return d
}

// Len returns the number of items; a nil *Dict is empty.
func (d *Dict) Len() int {
	if d == nil {
		return 0
	}
	return len(d.items)
}

// Items returns the items in order. The slice is the dict's own: do not
// modify it.
func (d *Dict) Items() []Item {
	if d == nil {
		return nil
	}
	return d.items
}

// Get returns the value for key.
func (d *Dict) Get(key any) (any, bool) {
	if d == nil {
		return nil, false
	}
	if i := find(d.items, itemKey, nil, key); i >= 0 {
		return d.items[i].Value, true
	}
	return nil, false
}

// GetString returns the value for a str key.
func (d *Dict) GetString(key string) (any, bool) { return d.Get(key) }

// Set adds key or replaces its value.
func (d *Dict) Set(key, value any) {
	if i := find(d.items, itemKey, nil, key); i >= 0 {
		d.items[i].Value = value
		return
	}
	d.items = append(d.items, Item{key, value})
}

// Append adds an item without looking for an existing key. Use it only when
// the key is known to be new (decoders find duplicates with AddItem).
func (d *Dict) Append(key, value any) { d.items = append(d.items, Item{key, value}) }

// Delete removes key and reports whether it was present.
func (d *Dict) Delete(key any) bool {
	if d == nil {
		return false
	}
	i := find(d.items, itemKey, nil, key)
	if i < 0 {
		return false
	}
	d.items = append(d.items[:i], d.items[i+1:]...)
	return true
}
