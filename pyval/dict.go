package pyval

// Item is one key/value pair of a Dict.
type Item struct {
	Key, Value any
}

// Dict is a Python dict: insertion-ordered, with keys of any hashable model
// type (str, int, float, bool, None, bytes, tuple). Setting an existing key
// replaces its value in place, as in Python.
//
// Keys compare by KeyEqual. Lookups are linear while the dict is small, as
// Pyro4's dicts on the wire are (call kwargs, handshakes, metadata); Set
// gives a dict that grows large a KeyIndex, so building one key by key stays
// linear. Get never builds the index, so concurrent reads are safe. Callers
// that build dicts from keys known to be unique use Append.
type Dict struct {
	items []Item
	idx   *KeyIndex // nil until Set finds the dict large
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
	if i := find(d.items, itemKey, d.idx, key); i >= 0 {
		return d.items[i].Value, true
	}
	return nil, false
}

// GetString returns the value for a str key.
func (d *Dict) GetString(key string) (any, bool) { return d.Get(key) }

// Set adds key or replaces its value.
func (d *Dict) Set(key, value any) {
	d.items = AddItem(d.items, 0, &d.idx, key, value)
}

// Append adds an item without looking for an existing key. Use it only when
// the key is known to be new (decoders find duplicates with AddItem).
func (d *Dict) Append(key, value any) {
	if d.idx != nil {
		d.idx.Add(key, len(d.items))
	}
	d.items = append(d.items, Item{key, value})
}

// Delete removes key and reports whether it was present.
func (d *Dict) Delete(key any) bool {
	if d == nil {
		return false
	}
	i := find(d.items, itemKey, d.idx, key)
	if i < 0 {
		return false
	}
	d.items = append(d.items[:i], d.items[i+1:]...)
	d.idx = nil // positions moved; Set rebuilds it when needed
	return true
}
