package keyring

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/entevents/entevents/entevents/eventlog"
)

// Size is the length of a key in bytes (AES-256).
const Size = 32

// MaxIDLen is the longest key id.
const MaxIDLen = 64

// formatV1 is the first byte of every ciphertext the keyring produces.
const formatV1 byte = 1

// nonceSize is the GCM standard nonce size.
const nonceSize = 12

// tagSize is the GCM tag size.
const tagSize = 16

var (
	// ErrInvalidKey is returned (wrapped in a *KeyError naming the key id) for a key
	// or key id that cannot be used: wrong length, not base64, an all-zero key, a
	// bad or duplicate id.
	ErrInvalidKey = errors.New("entevents: invalid key")
	// ErrNoKeys is returned when a keyring would hold no key: an empty list, or an
	// environment variable that is unset or empty.
	ErrNoKeys = errors.New("entevents: no encryption keys")
	// ErrUnknownKey is returned (wrapped in a *KeyError naming the key id) when a
	// ciphertext was encrypted under a key the keyring does not hold.
	ErrUnknownKey = errors.New("entevents: unknown key id")
	// ErrDecrypt is returned (wrapped in a *KeyError naming the key id, when the
	// ciphertext names one) when a ciphertext does not decrypt: the key with its id
	// is not the one it was encrypted with, the ciphertext was changed, or it was
	// moved to another event or column (its additional data differs).
	ErrDecrypt = errors.New("entevents: cannot decrypt: wrong key, or the ciphertext was tampered with or moved")
)

// KeyError is an error about one key: it names the key id and wraps ErrInvalidKey,
// ErrUnknownKey or ErrDecrypt (match them with errors.Is).
type KeyError struct {
	// KeyID is the id of the key at fault.
	KeyID string
	// Err is the cause; it wraps one of the package's sentinel errors.
	Err error
}

// Error implements error. It never contains key material.
func (e *KeyError) Error() string {
	return fmt.Sprintf("entevents: key %q: %s", e.KeyID, strings.TrimPrefix(e.Err.Error(), "entevents: "))
}

// Unwrap returns the cause.
func (e *KeyError) Unwrap() error { return e.Err }

func keyErr(id string, sentinel error, format string, args ...any) error {
	if format == "" {
		return &KeyError{KeyID: id, Err: sentinel}
	}
	return &KeyError{KeyID: id, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
}

// Key is a named AES-256 key. Its secret is not exported: a Key prints, formats
// and marshals as its id only. Use Encode to get the id:base64key form.
type Key struct {
	id     string
	secret []byte
}

// NewKey returns a key named id with the given 32-byte secret, copied. An invalid
// id, a secret of another length or an all-zero secret is an ErrInvalidKey.
func NewKey(id string, secret []byte) (Key, error) {
	if err := validID(id); err != nil {
		return Key{}, err
	}
	if len(secret) != Size {
		return Key{}, keyErr(id, ErrInvalidKey, "the key is %d bytes, want %d", len(secret), Size)
	}
	if bytes.Equal(secret, make([]byte, Size)) {
		return Key{}, keyErr(id, ErrInvalidKey, "the key is all zeros")
	}
	return Key{id: id, secret: bytes.Clone(secret)}, nil
}

// GenerateKey returns a new key named id with a secret from crypto/rand.
func GenerateKey(id string) (Key, error) {
	if err := validID(id); err != nil {
		return Key{}, err
	}
	secret := make([]byte, Size)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("entevents: generate key %q: %w", id, err)
	}
	return Key{id: id, secret: secret}, nil
}

// ParseKey parses one key in the id:base64key form that Encode produces. The key
// is standard or URL-safe base64, padded or not, of exactly 32 bytes.
func ParseKey(s string) (Key, error) {
	id, enc, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Key{}, fmt.Errorf("%w: want id:base64key, found no ':'", ErrInvalidKey)
	}
	id = strings.TrimSpace(id)
	if err := validID(id); err != nil {
		return Key{}, err
	}
	secret, err := decodeBase64(strings.TrimSpace(enc))
	if err != nil {
		return Key{}, keyErr(id, ErrInvalidKey, "the key is not base64")
	}
	return NewKey(id, secret)
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// ID returns the key id.
func (k Key) ID() string { return k.id }

// Encode returns the key as id:base64key (standard base64, padded), the form that
// ParseKey, Parse and FromEnv read. It reveals the secret: store it as a secret.
func (k Key) Encode() string {
	return k.id + ":" + base64.StdEncoding.EncodeToString(k.secret)
}

// String returns the key id and a placeholder for the secret.
func (k Key) String() string { return k.id + ":<secret>" }

// GoString is String, so that %#v does not print the secret either.
func (k Key) GoString() string { return "keyring.Key(" + k.String() + ")" }

// MarshalText returns String, so that encoders never write the secret.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func validID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: the key id is empty", ErrInvalidKey)
	}
	if len(id) > MaxIDLen {
		return keyErr(id[:MaxIDLen]+"...", ErrInvalidKey, "the key id is longer than %d characters", MaxIDLen)
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return keyErr(id, ErrInvalidKey, "the key id may only hold A-Z, a-z, 0-9, '.', '_' and '-'")
		}
	}
	return nil
}

// Keyring is an AES-256-GCM vault (eventlog.Vault, entevents.Vault) with named
// keys. Its primary key encrypts; all its keys decrypt. It is immutable and safe
// for concurrent use.
type Keyring struct {
	primary string
	ids     []string
	aeads   map[string]cipher.AEAD
}

var _ eventlog.Vault = (*Keyring)(nil)

// New returns a keyring of keys, listed primary first: the first key encrypts,
// every key decrypts. List the newest key first once every reader holds it. No
// keys is ErrNoKeys; two keys with one id is an ErrInvalidKey.
func New(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, ErrNoKeys
	}
	r := &Keyring{primary: keys[0].id, aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if err := validID(k.id); err != nil {
			return nil, err
		}
		if len(k.secret) != Size {
			return nil, keyErr(k.id, ErrInvalidKey, "the key is %d bytes, want %d (make keys with NewKey, GenerateKey or ParseKey)", len(k.secret), Size)
		}
		if _, dup := r.aeads[k.id]; dup {
			return nil, keyErr(k.id, ErrInvalidKey, "the key id is listed twice")
		}
		block, err := aes.NewCipher(k.secret)
		if err != nil {
			return nil, keyErr(k.id, ErrInvalidKey, "%v", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, keyErr(k.id, ErrInvalidKey, "%v", err)
		}
		r.aeads[k.id] = aead
		r.ids = append(r.ids, k.id)
	}
	return r, nil
}

// Parse returns the keyring described by spec: comma-separated id:base64key
// entries, primary first, e.g. "k2:<base64>,k1:<base64>". Spaces and newlines
// around entries are ignored. An empty spec is ErrNoKeys; a bad entry is an
// ErrInvalidKey naming its key id (or its position when it has no id).
func Parse(spec string) (*Keyring, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, ErrNoKeys
	}
	entries := strings.Split(spec, ",")
	keys := make([]Key, 0, len(entries))
	for i, e := range entries {
		if strings.TrimSpace(e) == "" {
			return nil, fmt.Errorf("%w: entry %d of %d is empty", ErrInvalidKey, i+1, len(entries))
		}
		k, err := ParseKey(e)
		if err != nil {
			if _, ok := errors.AsType[*KeyError](err); ok {
				return nil, err
			}
			return nil, fmt.Errorf("%w (entry %d of %d)", err, i+1, len(entries))
		}
		keys = append(keys, k)
	}
	return New(keys...)
}

// FromEnv returns the keyring described by the environment variable name, in the
// format of Parse, e.g. ENTEVENTS_KEYS="k2:<base64>,k1:<base64>". An unset or empty
// variable is ErrNoKeys.
func FromEnv(name string) (*Keyring, error) {
	spec, ok := os.LookupEnv(name)
	if !ok || strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("%w: the environment variable %s is not set", ErrNoKeys, name)
	}
	r, err := Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("%w (in the environment variable %s)", err, name)
	}
	return r, nil
}

// DemoKeyID is the id of the key that FromEnvOrGenerate generates.
const DemoKeyID = "demo"

// FromEnvOrGenerate is FromEnv, except that when the variable is unset or empty it
// generates a key with id DemoKeyID, reports it once through logf (log.Printf when
// nil) with the line to set the variable to, and returns a keyring of that key.
// Events encrypted under a generated key can be read only by a keyring holding it:
// for demos and development, never for production data. A variable that is set
// but invalid is an error, not a new key.
func FromEnvOrGenerate(name string, logf func(format string, args ...any)) (*Keyring, error) {
	if spec, ok := os.LookupEnv(name); ok && strings.TrimSpace(spec) != "" {
		return FromEnv(name)
	}
	k, err := GenerateKey(DemoKeyID)
	if err != nil {
		return nil, err
	}
	if logf == nil {
		logf = log.Printf
	}
	logf("entevents: %s is not set: generated a demo encryption key. Events encrypted now can only be read with it; to keep them readable, set\n\t%s=%s", name, name, k.Encode())
	return New(k)
}

// Primary returns the id of the key that encrypts.
func (r *Keyring) Primary() string { return r.primary }

// IDs returns the key ids, primary first.
func (r *Keyring) IDs() []string { return append([]string(nil), r.ids...) }

// String returns the key ids, primary first; never key material.
func (r *Keyring) String() string { return "keyring[" + strings.Join(r.ids, ",") + "]" }

// GoString is String, so that %#v does not print key material.
func (r *Keyring) GoString() string { return r.String() }

// Encrypt encrypts plaintext under the primary key with a fresh random nonce and
// authenticates aad with it. ctx is unused.
func (r *Keyring) Encrypt(_ context.Context, plaintext, aad []byte) ([]byte, error) {
	aead := r.aeads[r.primary]
	out := make([]byte, 0, 2+len(r.primary)+nonceSize+len(plaintext)+tagSize)
	out = append(out, formatV1, byte(len(r.primary)))
	out = append(out, r.primary...)
	header := len(out)
	out = out[:header+nonceSize]
	if _, err := rand.Read(out[header:]); err != nil {
		return nil, fmt.Errorf("entevents: encrypt: read a nonce: %w", err)
	}
	return aead.Seal(out, out[header:], plaintext, additional(out[:header], aad)), nil
}

// Decrypt decrypts a ciphertext made by Encrypt of a keyring holding the same key,
// with the same aad. A key id the ring does not hold is ErrUnknownKey; a wrong
// key, changed bytes or other aad is ErrDecrypt; both in a *KeyError naming the
// key id. ctx is unused.
func (r *Keyring) Decrypt(_ context.Context, ciphertext, aad []byte) ([]byte, error) {
	id, header, err := parseHeader(ciphertext)
	if err != nil {
		return nil, err
	}
	aead, ok := r.aeads[id]
	if !ok {
		return nil, keyErr(id, ErrUnknownKey, "the keyring holds %s", strings.Join(r.ids, ", "))
	}
	rest := ciphertext[header:]
	if len(rest) < nonceSize+tagSize {
		return nil, keyErr(id, ErrDecrypt, "the ciphertext is truncated")
	}
	plain, err := aead.Open(nil, rest[:nonceSize], rest[nonceSize:], additional(ciphertext[:header], aad))
	if err != nil {
		return nil, keyErr(id, ErrDecrypt, "")
	}
	return plain, nil
}

// KeyID returns the id of the key a ciphertext of a Keyring was encrypted under,
// without decrypting it: to find the events that still need an old key.
func KeyID(ciphertext []byte) (string, error) {
	id, _, err := parseHeader(ciphertext)
	return id, err
}

func parseHeader(c []byte) (id string, n int, err error) {
	if len(c) < 2 {
		return "", 0, fmt.Errorf("%w: the ciphertext is too short", ErrDecrypt)
	}
	if c[0] != formatV1 {
		return "", 0, fmt.Errorf("%w: unknown ciphertext format %d", ErrDecrypt, c[0])
	}
	n = 2 + int(c[1])
	if c[1] == 0 || len(c) < n {
		return "", 0, fmt.Errorf("%w: the ciphertext header is truncated", ErrDecrypt)
	}
	return string(c[2:n]), n, nil
}

// additional returns the GCM additional data: the ciphertext header (which is
// length-prefixed, so the concatenation is unambiguous) followed by the caller's.
func additional(header, aad []byte) []byte {
	return append(bytes.Clone(header), aad...)
}
