package pyval

import (
	"bytes"
	"testing"
)

func TestAsBytes(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want []byte
		ok   bool
	}{
		{"bytes", []byte("hi"), []byte("hi"), true},
		{"empty bytes", []byte{}, []byte{}, true},
		{"serpent's dict", DictOf("data", "aGk=", "encoding", "base64"), []byte("hi"), true},
		{"serpent's dict, keys the other way", DictOf("encoding", "base64", "data", ""), []byte{}, true},
		{"not base64 text", DictOf("data", "a!", "encoding", "base64"), nil, false},
		{"another encoding", DictOf("data", "aGk=", "encoding", "hex"), nil, false},
		{"data not a str", DictOf("data", int64(1), "encoding", "base64"), nil, false},
		{"a third key", DictOf("data", "aGk=", "encoding", "base64", "x", nil), nil, false},
		{"a str", "hi", nil, false},
		{"None", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := AsBytes(tt.v)
			if ok != tt.ok || !bytes.Equal(got, tt.want) {
				t.Errorf("AsBytes = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
