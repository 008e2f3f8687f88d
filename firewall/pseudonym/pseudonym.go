// Package pseudonym replaces subscriber identities by keyed hashes, so that
// output can be correlated (the same IMSI always gives the same pseudonym
// under one key) without disclosing who the subscriber is. Without the key
// a pseudonym cannot be reversed even by enumerating the small IMSI space.
package pseudonym

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"strings"
)

// MinKeyBytes is the shortest key accepted from a file.
const MinKeyBytes = 16

// Hasher pseudonymises identities. It is not safe for concurrent use; give
// each goroutine its own (Clone).
type Hasher struct {
	key     []byte
	mac     hash.Hash
	sum     []byte
	scratch []byte // kind, 0, identity: one Write, no conversion garbage
}

// New returns a Hasher with the given secret key.
func New(key []byte) *Hasher {
	k := append([]byte(nil), key...)
	return &Hasher{key: k, mac: hmac.New(sha256.New, k), sum: make([]byte, 0, sha256.Size)}
}

// NewRandom returns a Hasher with a fresh random key: pseudonyms are then
// consistent within one run only.
func NewRandom() *Hasher {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("pseudonym: no randomness: " + err.Error())
	}
	return New(k)
}

// Load reads a key file: at least MinKeyBytes bytes of secret, used as is
// (surrounding whitespace removed, so a hex or base64 line works too).
func Load(path string) (*Hasher, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pseudonym key: %w", err)
	}
	k := []byte(strings.TrimSpace(string(b)))
	if len(k) < MinKeyBytes {
		return nil, fmt.Errorf("pseudonym key %s: only %d bytes; use at least %d random bytes (e.g. `head -c 32 /dev/urandom | xxd -p -c 64 > %s`)", path, len(k), MinKeyBytes, path)
	}
	return New(k), nil
}

// Clone returns an independent Hasher with the same key.
func (h *Hasher) Clone() *Hasher { return New(h.key) }

// Append appends the pseudonym of an identity of the given kind ("imsi",
// "msisdn": the kind is hashed too, so equal digit strings of different
// kinds do not collide) to dst: 16 hex digits (64 bits). An empty identity
// appends nothing. It does not allocate when dst has room.
func (h *Hasher) Append(dst []byte, kind string, id []byte) []byte {
	if len(id) == 0 {
		return dst
	}
	h.scratch = append(append(append(h.scratch[:0], kind...), 0), id...)
	h.mac.Reset()
	h.mac.Write(h.scratch)
	h.sum = h.mac.Sum(h.sum[:0])
	return hex.AppendEncode(dst, h.sum[:8])
}

// String is Append returning a string (allocates).
func (h *Hasher) String(kind string, id []byte) string {
	return string(h.Append(nil, kind, id))
}

// ErrNoKey is returned when a key is required but none is configured.
var ErrNoKey = errors.New("pseudonym: no key configured")
