package gyrotls

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"hash"
	"os"
	"strings"
)

// LoadKeyPair reads a certificate (with its chain) from certFile and its
// private key from keyFile, or from certFile when keyFile is empty, as
// Python's load_cert_chain does. An encrypted key is decrypted with
// password. Readable key forms: unencrypted PKCS#1, SEC 1 (EC) and PKCS#8;
// legacy PEM encryption (Proc-Type/DEK-Info, from `openssl rsa|ec -aes256`
// or OpenSSL 1.x `genrsa -aes256`); and PKCS#8 "ENCRYPTED PRIVATE KEY" with
// PBES2/PBKDF2 and AES-CBC or 3DES-CBC (what OpenSSL 3 writes by default).
// Not readable: PKCS#8 with scrypt or the old PBES1 schemes, PKCS#12; those
// give ErrKeyFormat, and `openssl pkey -in key.pem -aes256 -out new.pem`
// converts them. Errors name the file.
func LoadKeyPair(certFile, keyFile, password string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	var chain []byte
	for rest := certPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			chain = append(chain, pem.EncodeToMemory(b)...)
		}
	}
	if len(chain) == 0 {
		return tls.Certificate{}, fmt.Errorf("%s: %w", certFile, ErrNoCertificates)
	}
	keyPEM, keyPath := certPEM, certFile
	if keyFile != "" {
		if keyPEM, err = os.ReadFile(keyFile); err != nil {
			return tls.Certificate{}, err
		}
		keyPath = keyFile
	}
	key, err := decodeKey(keyPEM, password)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s: %w", keyPath, err)
	}
	pair, err := tls.X509KeyPair(chain, pem.EncodeToMemory(key))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s with %s: %w", certFile, keyPath, err)
	}
	return pair, nil
}

// decodeKey finds the first private key block and returns it decrypted.
func decodeKey(data []byte, password string) (*pem.Block, error) {
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return nil, ErrNoKey
		}
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			continue
		}
		switch {
		case b.Type == "ENCRYPTED PRIVATE KEY":
			if password == "" {
				return nil, ErrKeyEncrypted
			}
			der, err := decryptPKCS8(b.Bytes, []byte(password))
			if err != nil {
				return nil, err
			}
			return &pem.Block{Type: "PRIVATE KEY", Bytes: der}, nil
		//lint:ignore SA1019 legacy PEM encryption is what many Pyro4 users' keys are in.
		case x509.IsEncryptedPEMBlock(b): //nolint:staticcheck
			if password == "" {
				return nil, ErrKeyEncrypted
			}
			//lint:ignore SA1019 see above.
			der, err := x509.DecryptPEMBlock(b, []byte(password)) //nolint:staticcheck
			if err != nil || !parsesAsKey(der) {
				// The padding check lets a wrong password through now and
				// then: a key that does not parse is the same failure.
				return nil, ErrKeyPassword
			}
			return &pem.Block{Type: b.Type, Bytes: der}, nil
		default:
			return b, nil
		}
	}
}

func parsesAsKey(der []byte) bool {
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return true
	}
	if _, err := x509.ParseECPrivateKey(der); err == nil {
		return true
	}
	_, err := x509.ParsePKCS8PrivateKey(der)
	return err == nil
}

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

// RFC 5958 / RFC 8018 structures.
type encryptedPrivateKeyInfo struct {
	Algo pkix.AlgorithmIdentifier
	Data []byte
}

type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Scheme pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt   []byte
	Iter   int
	KeyLen int                      `asn1:"optional"`
	PRF    pkix.AlgorithmIdentifier `asn1:"optional"`
}

// decryptPKCS8 decrypts a PBES2-encrypted PKCS#8 key to its PKCS#8 DER.
func decryptPKCS8(der, password []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: malformed ENCRYPTED PRIVATE KEY", ErrKeyFormat)
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("%w: PKCS#8 encryption %v (only PBES2 is supported)", ErrKeyFormat, info.Algo.Algorithm)
	}
	var p pbes2Params
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &p); err != nil {
		return nil, fmt.Errorf("%w: malformed PBES2 parameters", ErrKeyFormat)
	}
	if !p.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("%w: key derivation %v (only PBKDF2 is supported)", ErrKeyFormat, p.KDF.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(p.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("%w: malformed PBKDF2 parameters", ErrKeyFormat)
	}
	var h func() hash.Hash
	switch prf := kdf.PRF.Algorithm; {
	case len(prf) == 0 || prf.Equal(oidHMACSHA1):
		h = sha1.New
	case prf.Equal(oidHMACSHA224):
		h = sha256.New224
	case prf.Equal(oidHMACSHA256):
		h = sha256.New
	case prf.Equal(oidHMACSHA384):
		h = sha512.New384
	case prf.Equal(oidHMACSHA512):
		h = sha512.New
	default:
		return nil, fmt.Errorf("%w: PBKDF2 PRF %v", ErrKeyFormat, prf)
	}
	var keyLen int
	var newCipher func([]byte) (cipher.Block, error)
	switch alg := p.Scheme.Algorithm; {
	case alg.Equal(oidAES128CBC):
		keyLen, newCipher = 16, aes.NewCipher
	case alg.Equal(oidAES192CBC):
		keyLen, newCipher = 24, aes.NewCipher
	case alg.Equal(oidAES256CBC):
		keyLen, newCipher = 32, aes.NewCipher
	case alg.Equal(oidDESEDE3CBC):
		keyLen, newCipher = 24, des.NewTripleDESCipher
	default:
		return nil, fmt.Errorf("%w: PBES2 cipher %v", ErrKeyFormat, alg)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(p.Scheme.Parameters.FullBytes, &iv); err != nil {
		return nil, fmt.Errorf("%w: malformed cipher IV", ErrKeyFormat)
	}
	if kdf.Iter < 1 || kdf.Iter > 10_000_000 {
		return nil, fmt.Errorf("%w: PBKDF2 iteration count %d", ErrKeyFormat, kdf.Iter)
	}
	key, err := pbkdf2.Key(h, string(password), kdf.Salt, kdf.Iter, keyLen)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFormat, err)
	}
	block, err := newCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFormat, err)
	}
	bs := block.BlockSize()
	if len(iv) != bs || len(info.Data) == 0 || len(info.Data)%bs != 0 {
		return nil, fmt.Errorf("%w: bad cipher text or IV length", ErrKeyFormat)
	}
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > bs || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, ErrKeyPassword
	}
	plain = plain[:len(plain)-pad]
	if _, err := x509.ParsePKCS8PrivateKey(plain); err != nil {
		return nil, ErrKeyPassword
	}
	return plain, nil
}
