package wire

import (
	"crypto/hmac"
	"crypto/sha1"
)

const hmacKey = "HMAC"

// sign returns Pyro4's message digest: HMAC-SHA1 over the payload as sent,
// then over the value of every annotation except HMAC, in ascending key
// order. A repeated key contributes only its last value, matching the
// receiver's last-wins view.
func sign(key, data []byte, anns []Annotation, out *[hmacSize]byte) {
	mac := hmac.New(sha1.New, key)
	mac.Write(data)
	// Selection by repeated scans instead of sorting a copy: there are a
	// handful of annotations and this way nothing is allocated.
	prev, started := "", false
	for {
		best := -1
		for i := range anns {
			k := anns[i].Key
			if k == hmacKey || (started && k <= prev) {
				continue
			}
			if best < 0 || k <= anns[best].Key { // <= so the last duplicate wins
				best = i
			}
		}
		if best < 0 {
			break
		}
		mac.Write(anns[best].Value)
		prev, started = anns[best].Key, true
	}
	mac.Sum(out[:0])
}
