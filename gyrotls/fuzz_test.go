package gyrotls

import (
	"encoding/pem"
	"testing"
)

// Key files come from the operator, not the network, but a malformed one
// must still give an error, never a panic or a hang.
func FuzzDecodeKey(f *testing.F) {
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"), "pw")
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0x03, 0x30, 0x01, 0x00}}), "x")
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"}, Bytes: make([]byte, 32)}), "x")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		b, err := decodeKey(data, password)
		if err == nil && b == nil {
			t.Fatal("no key and no error")
		}
	})
}

func FuzzDecryptPKCS8(f *testing.F) {
	f.Add([]byte{0x30, 0x00}, []byte("pw"))
	f.Fuzz(func(t *testing.T, der, password []byte) {
		_, _ = decryptPKCS8(der, password)
	})
}
