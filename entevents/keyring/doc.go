// Package keyring is the built-in vault of entevents: AES-256-GCM from the
// standard library, with named keys and key rotation.
//
// A Keyring holds one or more 32-byte keys, each with an id. The first key is the
// primary: it encrypts. Every key of the ring decrypts, so a ring that lists a new
// primary key followed by the old ones reads everything written before the
// rotation. Each ciphertext is self-describing:
//
//	byte 0      format version (1)
//	byte 1      length n of the key id (1..64)
//	n bytes     key id
//	12 bytes    random nonce, fresh for every encryption
//	rest        AES-GCM ciphertext and its 16-byte tag
//
// The header (version, key id) and the caller's additional authenticated data are
// authenticated: changing any byte, decrypting with another key, or presenting the
// ciphertext with other additional data (entevents binds each ciphertext to its
// event and column) fails with ErrDecrypt. A ciphertext whose key id is not in the
// ring fails with ErrUnknownKey. Both come wrapped in a *KeyError naming the key id.
//
// Keys load from bytes (NewKey, New), from text (ParseKey, Parse) or from an
// environment variable (FromEnv, FromEnvOrGenerate) holding a comma-separated
// list of id:base64key entries, primary first:
//
//	ENTEVENTS_KEYS="k2:q2V5IDIgLi4u...,k1:a2V5IDEgLi4u..."
//
// Key ids are 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'. Keys are
// standard or URL-safe base64 of exactly 32 bytes, padded or not. GenerateKey
// makes a new random key; Key.Encode gives its id:base64key form.
//
// The package's errors never contain key material, and Key and Keyring print as
// their ids only.
package keyring
