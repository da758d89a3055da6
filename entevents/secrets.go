package entevents

import (
	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/entevents/keyring"
)

// The built-in vault, re-exported from package keyring (see its documentation for
// the key and ciphertext formats).
type (
	// Keyring is the built-in AES-256-GCM Vault with named keys: its primary key
	// encrypts, all its keys decrypt (key rotation).
	Keyring = keyring.Keyring
	// Key is a named 32-byte key of a Keyring. It prints as its id only.
	Key = keyring.Key
	// KeyError names the key id of a key that is invalid, unknown or does not
	// decrypt; it wraps ErrInvalidKey, ErrUnknownKey or ErrDecrypt.
	KeyError = keyring.KeyError
)

// KeysEnv is the environment variable the example programs read keys from. Any
// name works with KeyringFromEnv; this one is a convention.
const KeysEnv = "ENTEVENTS_KEYS"

// Errors of the vault, to match with errors.Is. Reading an encrypted event that
// cannot be decrypted is an *EventError naming the event that wraps one of them.
var (
	// ErrNoVault: the event is encrypted but no vault is configured.
	ErrNoVault = eventlog.ErrNoVault
	// ErrNoKeys: a keyring would hold no key (e.g. its environment variable is unset).
	ErrNoKeys = keyring.ErrNoKeys
	// ErrInvalidKey: a key or key id cannot be used (wrong length, not base64...).
	ErrInvalidKey = keyring.ErrInvalidKey
	// ErrUnknownKey: the ciphertext was encrypted under a key the keyring lacks.
	ErrUnknownKey = keyring.ErrUnknownKey
	// ErrDecrypt: wrong key, or the ciphertext was tampered with or moved.
	ErrDecrypt = keyring.ErrDecrypt
)

// NewKeyring returns a keyring of keys listed primary first: the first encrypts,
// all decrypt. See keyring.New.
func NewKeyring(keys ...Key) (*Keyring, error) { return keyring.New(keys...) }

// NewKey returns a key named id with a 32-byte secret. See keyring.NewKey.
func NewKey(id string, secret []byte) (Key, error) { return keyring.NewKey(id, secret) }

// GenerateKey returns a new random key named id. Key.Encode gives the id:base64key
// text to store it as. See keyring.GenerateKey.
func GenerateKey(id string) (Key, error) { return keyring.GenerateKey(id) }

// ParseKeyring returns the keyring of comma-separated id:base64key entries,
// primary first, e.g. "k2:<base64>,k1:<base64>". See keyring.Parse.
func ParseKeyring(spec string) (*Keyring, error) { return keyring.Parse(spec) }

// KeyringFromEnv returns the keyring held by an environment variable in the format
// of ParseKeyring, e.g. ENTEVENTS_KEYS="k2:<base64>,k1:<base64>". See
// keyring.FromEnv.
func KeyringFromEnv(name string) (*Keyring, error) { return keyring.FromEnv(name) }

// KeyringFromEnvOrGenerate is KeyringFromEnv, except that when the variable is unset
// it generates a demo key and prints, once through logf (log.Printf when nil), the
// line that sets the variable to it. For demos: data encrypted under a key that is
// lost cannot be recovered. See keyring.FromEnvOrGenerate.
func KeyringFromEnvOrGenerate(name string, logf func(format string, args ...any)) (*Keyring, error) {
	return keyring.FromEnvOrGenerate(name, logf)
}
