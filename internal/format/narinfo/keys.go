package narinfo

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

// SecretKey is a binary-cache signing key: Nix's libsodium secret key,
// the 32-byte Ed25519 seed followed by the 32-byte public key.
type SecretKey struct {
	Name string
	key  ed25519.PrivateKey
}

// PublicKey is a binary-cache verification key.
type PublicKey struct {
	Name string
	key  ed25519.PublicKey
}

// splitKey splits "name:base64" at the first ':' like Nix's crypto.cc
// split: no colon, or an empty name, gives two empty halves.
func splitKey(s string) (name, rest string) {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return "", ""
	}
	return s[:i], s[i+1:]
}

// ParseSecretKey reads a secret key as written by
// `nix-store --generate-binary-cache-key` ("name:base64", a trailing
// newline tolerated). The errors follow Nix's wording ("secret key is
// corrupt", "secret key is not valid") and never echo key material.
func ParseSecretKey(s string) (SecretKey, error) {
	name, b, err := parseKey(s, "secret", ed25519.PrivateKeySize)
	if err != nil {
		return SecretKey{}, err
	}
	return SecretKey{Name: name, key: ed25519.PrivateKey(b)}, nil
}

// ParsePublicKey reads a public key ("name:base64"), as found in
// pub.key files and the trusted-public-keys setting. (Nix 2.8 says
// "secret key is corrupt" for a malformed public key; we say "public".)
func ParsePublicKey(s string) (PublicKey, error) {
	name, b, err := parseKey(s, "public", ed25519.PublicKeySize)
	if err != nil {
		return PublicKey{}, err
	}
	return PublicKey{Name: name, key: ed25519.PublicKey(b)}, nil
}

func parseKey(s, kind string, size int) (string, []byte, error) {
	name, rest := splitKey(s)
	if name == "" || rest == "" {
		return "", nil, fmt.Errorf("%s key is corrupt: want '<name>:<base64>'", kind)
	}
	b, err := decodeBase64(rest)
	if err != nil {
		return "", nil, fmt.Errorf("%s key '%s' is corrupt: %w", kind, name, err)
	}
	if len(b) != size {
		return "", nil, fmt.Errorf("%s key '%s' is not valid: %d bytes, want %d", kind, name, len(b), size)
	}
	return name, b, nil
}

// GenerateKey makes a new key pair named name, reading randomness from
// r (crypto/rand when r is nil), as `nix-store
// --generate-binary-cache-key` does. The name must be non-empty and must
// not contain ':', or the key could not be read back.
func GenerateKey(name string, r io.Reader) (SecretKey, PublicKey, error) {
	if name == "" || strings.ContainsRune(name, ':') {
		return SecretKey{}, PublicKey{}, fmt.Errorf("generate key %q: a key name must be non-empty and contain no ':'", name)
	}
	if r == nil {
		r = rand.Reader
	}
	pub, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return SecretKey{}, PublicKey{}, fmt.Errorf("generate key %q: %w", name, err)
	}
	return SecretKey{Name: name, key: priv}, PublicKey{Name: name, key: pub}, nil
}

// String returns the key file text, "name:base64", without a newline.
func (k SecretKey) String() string {
	return k.Name + ":" + base64.StdEncoding.EncodeToString(k.key)
}

// String returns the key file text, "name:base64", without a newline.
func (k PublicKey) String() string {
	return k.Name + ":" + base64.StdEncoding.EncodeToString(k.key)
}

// Public returns the public half. Like libsodium's
// crypto_sign_ed25519_sk_to_pk it is the last 32 bytes of the secret key.
func (k SecretKey) Public() PublicKey {
	if len(k.key) != ed25519.PrivateKeySize {
		return PublicKey{Name: k.Name}
	}
	return PublicKey{Name: k.Name, key: ed25519.PublicKey(k.key[ed25519.SeedSize:])}
}

// Ed25519 returns the raw public key (nil for the zero PublicKey).
func (k PublicKey) Ed25519() ed25519.PublicKey { return k.key }

// Sign returns the detached signature of fingerprint as Nix writes it,
// "name:base64(64 bytes)" (spec/store.md §6.3). Ed25519 is
// deterministic, so this equals what Nix produces with the same key. The
// zero SecretKey, which cannot sign, returns "".
func (k SecretKey) Sign(fingerprint string) string {
	if len(k.key) != ed25519.PrivateKeySize {
		return ""
	}
	sig := ed25519.Sign(k.key, []byte(fingerprint))
	return k.Name + ":" + base64.StdEncoding.EncodeToString(sig)
}

// VerifySignature is Nix's verifyDetached: it finds the key named by
// sig ("name:base64") in keys (the first with that name wins, as in
// Nix's key map) and checks the signature over fingerprint. A signature
// by an unknown key is simply not good (false, nil); one from a known
// key whose base64 is bad or not 64 bytes long is an error ("signature
// is not valid").
func VerifySignature(fingerprint, sig string, keys []PublicKey) (bool, error) {
	name, rest := splitKey(sig)
	if name == "" {
		return false, nil
	}
	i := keyIndex(keys, name)
	if i < 0 {
		return false, nil
	}
	b, err := decodeBase64(rest)
	if err != nil {
		return false, fmt.Errorf("signature by '%s' is not valid: %w", name, err)
	}
	if len(b) != ed25519.SignatureSize {
		return false, fmt.Errorf("signature by '%s' is not valid: %d bytes, want %d", name, len(b), ed25519.SignatureSize)
	}
	pub := keys[i].key
	if len(pub) != ed25519.PublicKeySize {
		return false, nil
	}
	return ed25519.Verify(pub, []byte(fingerprint), b), nil
}

// Verify reports whether sig is a good signature of fingerprint by one
// of keys; a malformed signature is not good.
func Verify(fingerprint, sig string, keys []PublicKey) bool {
	ok, err := VerifySignature(fingerprint, sig, keys)
	return ok && err == nil
}

func keyIndex(keys []PublicKey, name string) int {
	for i, k := range keys {
		if k.Name == name {
			return i
		}
	}
	return -1
}

// decodeBase64 is Nix 2.8's base64Decode: standard alphabet, '\n'
// skipped, decoding stops at the first '=', leftover bits are dropped,
// any other byte is an error.
func decodeBase64(s string) ([]byte, error) {
	out := make([]byte, 0, (len(s)+2)/4*3)
	var d, bits uint
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			break
		}
		if c == '\n' {
			continue
		}
		v, ok := base64Digit(c)
		if !ok {
			return nil, fmt.Errorf("invalid character in Base64 string: '%c'", c)
		}
		bits += 6
		d = d<<6 | v
		if bits >= 8 {
			out = append(out, byte(d>>(bits-8)))
			bits -= 8
		}
	}
	return out, nil
}

func base64Digit(c byte) (uint, bool) {
	switch {
	case c >= 'A' && c <= 'Z':
		return uint(c - 'A'), true
	case c >= 'a' && c <= 'z':
		return uint(c-'a') + 26, true
	case c >= '0' && c <= '9':
		return uint(c-'0') + 52, true
	case c == '+':
		return 62, true
	case c == '/':
		return 63, true
	}
	return 0, false
}
