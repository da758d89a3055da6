package keyring_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/keyring"
)

// secret returns a deterministic, non-zero 32-byte key.
func secret(seed byte) []byte {
	b := make([]byte, keyring.Size)
	for i := range b {
		b[i] = seed + byte(i)*7
	}
	return b
}

func b64(seed byte) string { return base64.StdEncoding.EncodeToString(secret(seed)) }

func mustKey(t *testing.T, id string, seed byte) keyring.Key {
	t.Helper()
	k, err := keyring.NewKey(id, secret(seed))
	require.NoError(t, err)
	return k
}

func mustRing(t *testing.T, keys ...keyring.Key) *keyring.Keyring {
	t.Helper()
	r, err := keyring.New(keys...)
	require.NoError(t, err)
	return r
}

var ctx = context.Background()

func TestParse(t *testing.T) {
	t.Parallel()
	raw := secret(1)
	tests := []struct {
		name    string
		spec    string
		primary string
		ids     []string
	}{
		{"OneKeyStdPadded", "k1:" + base64.StdEncoding.EncodeToString(raw), "k1", []string{"k1"}},
		{"OneKeyStdUnpadded", "k1:" + base64.RawStdEncoding.EncodeToString(raw), "k1", []string{"k1"}},
		{"OneKeyURLSafe", "k1:" + base64.URLEncoding.EncodeToString(raw), "k1", []string{"k1"}},
		{"OneKeyURLUnpadded", "k1:" + base64.RawURLEncoding.EncodeToString(raw), "k1", []string{"k1"}},
		{"PrimaryFirst", "k2:" + b64(2) + ",k1:" + b64(1), "k2", []string{"k2", "k1"}},
		{"Whitespace", "\n  k2 : " + b64(2) + " ,\n\tk1:" + b64(1) + "\n", "k2", []string{"k2", "k1"}},
		{"IDCharacters", "prod-2025.01_a:" + b64(3), "prod-2025.01_a", []string{"prod-2025.01_a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := keyring.Parse(tt.spec)
			require.NoError(t, err)
			require.Equal(t, tt.primary, r.Primary())
			require.Equal(t, tt.ids, r.IDs())
		})
	}

	t.Run("SameKeyAsBytes", func(t *testing.T) {
		t.Parallel()
		parsed, err := keyring.Parse("k1:" + base64.RawURLEncoding.EncodeToString(raw))
		require.NoError(t, err)
		c, err := mustRing(t, mustKey(t, "k1", 1)).Encrypt(ctx, []byte("x"), nil)
		require.NoError(t, err)
		p, err := parsed.Decrypt(ctx, c, nil)
		require.NoError(t, err)
		require.Equal(t, "x", string(p))
	})

	t.Run("EncodeRoundTrips", func(t *testing.T) {
		t.Parallel()
		k, err := keyring.GenerateKey("gen")
		require.NoError(t, err)
		back, err := keyring.ParseKey(k.Encode())
		require.NoError(t, err)
		require.Equal(t, k.Encode(), back.Encode())
	})
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	short := base64.StdEncoding.EncodeToString(secret(1)[:16])
	zero := base64.StdEncoding.EncodeToString(make([]byte, keyring.Size))
	tests := []struct {
		name   string
		spec   string
		is     error
		keyID  string // the id the error must name; "" for none
		detail string // text the message must contain
	}{
		{"Empty", "", keyring.ErrNoKeys, "", "no encryption keys"},
		{"Blank", "  \n", keyring.ErrNoKeys, "", "no encryption keys"},
		{"NoColon", b64(1), keyring.ErrInvalidKey, "", "entry 1 of 1"},
		{"NoColonSecondEntry", "k1:" + b64(1) + "," + b64(2), keyring.ErrInvalidKey, "", "entry 2 of 2"},
		{"EmptyEntry", "k1:" + b64(1) + ",", keyring.ErrInvalidKey, "", "entry 2 of 2 is empty"},
		{"EmptyID", ":" + b64(1), keyring.ErrInvalidKey, "", "key id is empty"},
		{"BadIDCharacter", "k 1:" + b64(1), keyring.ErrInvalidKey, "k 1", "may only hold"},
		{"LongID", strings.Repeat("a", keyring.MaxIDLen+1) + ":" + b64(1), keyring.ErrInvalidKey, strings.Repeat("a", keyring.MaxIDLen) + "...", "longer than 64"},
		{"NotBase64", "k1:not*base64!", keyring.ErrInvalidKey, "k1", "not base64"},
		{"ShortKey", "k1:" + short, keyring.ErrInvalidKey, "k1", "16 bytes, want 32"},
		{"AllZeros", "k1:" + zero, keyring.ErrInvalidKey, "k1", "all zeros"},
		{"DuplicateID", "k1:" + b64(1) + ",k2:" + b64(2) + ",k1:" + b64(3), keyring.ErrInvalidKey, "k1", "listed twice"},
		{"BadSecondKeyNamed", "k2:" + b64(2) + ",k1:" + short, keyring.ErrInvalidKey, "k1", "16 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := keyring.Parse(tt.spec)
			require.Nil(t, r)
			require.ErrorIs(t, err, tt.is)
			require.Contains(t, err.Error(), tt.detail)
			require.True(t, strings.HasPrefix(err.Error(), "entevents: "), err.Error())
			ke, ok := errors.AsType[*keyring.KeyError](err)
			if tt.keyID == "" {
				require.False(t, ok, "error names a key: %v", err)
			} else {
				require.True(t, ok, "error names no key: %v", err)
				require.Equal(t, tt.keyID, ke.KeyID)
				require.Contains(t, err.Error(), fmt.Sprintf("key %q", tt.keyID))
			}
			// Never echo key material.
			for _, s := range []string{b64(1), b64(2), b64(3), short} {
				require.NotContains(t, err.Error(), s)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()

	t.Run("NoKeys", func(t *testing.T) {
		t.Parallel()
		_, err := keyring.New()
		require.ErrorIs(t, err, keyring.ErrNoKeys)
	})

	t.Run("ZeroKeyValue", func(t *testing.T) {
		t.Parallel()
		_, err := keyring.New(keyring.Key{})
		require.ErrorIs(t, err, keyring.ErrInvalidKey)
	})

	t.Run("NewKeyErrors", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			id     string
			secret []byte
			detail string
		}{
			{"k1", nil, "0 bytes"},
			{"k1", make([]byte, 33), "33 bytes"},
			{"k1", make([]byte, 32), "all zeros"},
			{"", secret(1), "key id is empty"},
			{"a/b", secret(1), "may only hold"},
		} {
			_, err := keyring.NewKey(tt.id, tt.secret)
			require.ErrorIs(t, err, keyring.ErrInvalidKey, tt.detail)
			require.Contains(t, err.Error(), tt.detail)
		}
	})

	t.Run("SecretIsCopied", func(t *testing.T) {
		t.Parallel()
		s := secret(1)
		k, err := keyring.NewKey("k1", s)
		require.NoError(t, err)
		r := mustRing(t, k)
		c, err := r.Encrypt(ctx, []byte("x"), nil)
		require.NoError(t, err)
		clear(s)
		p, err := mustRing(t, mustKey(t, "k1", 1)).Decrypt(ctx, c, nil)
		require.NoError(t, err)
		require.Equal(t, "x", string(p))
	})

	t.Run("GenerateKeysDiffer", func(t *testing.T) {
		t.Parallel()
		a, err := keyring.GenerateKey("a")
		require.NoError(t, err)
		b, err := keyring.GenerateKey("a")
		require.NoError(t, err)
		require.NotEqual(t, a.Encode(), b.Encode())
		_, err = keyring.GenerateKey("bad id")
		require.ErrorIs(t, err, keyring.ErrInvalidKey)
	})
}

func TestEncryptDecrypt(t *testing.T) {
	t.Parallel()
	aad := []byte("entity=User record=1")

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		r := mustRing(t, mustKey(t, "k1", 1))
		for _, pt := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("abc"), 10000)} {
			c, err := r.Encrypt(ctx, pt, aad)
			require.NoError(t, err)
			got, err := r.Decrypt(ctx, c, aad)
			require.NoError(t, err)
			require.Equal(t, len(pt), len(got))
			require.True(t, bytes.Equal(pt, got))
		}
	})

	t.Run("Format", func(t *testing.T) {
		t.Parallel()
		r := mustRing(t, mustKey(t, "key-7", 1))
		pt := []byte("plaintext marker")
		c, err := r.Encrypt(ctx, pt, aad)
		require.NoError(t, err)
		require.Equal(t, byte(1), c[0], "format version")
		require.Equal(t, byte(len("key-7")), c[1])
		require.Equal(t, "key-7", string(c[2:7]))
		require.Len(t, c, 2+len("key-7")+12+len(pt)+16)
		require.False(t, bytes.Contains(c, pt))
		id, err := keyring.KeyID(c)
		require.NoError(t, err)
		require.Equal(t, "key-7", id)
	})

	t.Run("NonceUniqueness", func(t *testing.T) {
		t.Parallel()
		r := mustRing(t, mustKey(t, "k1", 1))
		const n = 5000
		nonces := make(map[string]bool, n)
		cts := make(map[string]bool, n)
		for range n {
			c, err := r.Encrypt(ctx, []byte("same plaintext"), aad)
			require.NoError(t, err)
			nonce := string(c[2+2 : 2+2+12])
			require.False(t, nonces[nonce], "nonce reused")
			nonces[nonce] = true
			cts[string(c)] = true
		}
		require.Len(t, cts, n)
	})

	t.Run("Rotation", func(t *testing.T) {
		t.Parallel()
		k1, k2 := mustKey(t, "k1", 1), mustKey(t, "k2", 2)
		old := mustRing(t, k1)
		c1, err := old.Encrypt(ctx, []byte("under k1"), aad)
		require.NoError(t, err)

		// Step 1: every reader learns k2 while k1 still encrypts.
		learning := mustRing(t, k1, k2)
		// Step 2: k2 becomes primary.
		rotated := mustRing(t, k2, k1)
		c2, err := rotated.Encrypt(ctx, []byte("under k2"), aad)
		require.NoError(t, err)
		id, err := keyring.KeyID(c2)
		require.NoError(t, err)
		require.Equal(t, "k2", id)

		for _, r := range []*keyring.Keyring{learning, rotated} {
			p, err := r.Decrypt(ctx, c1, aad)
			require.NoError(t, err)
			require.Equal(t, "under k1", string(p))
			p, err = r.Decrypt(ctx, c2, aad)
			require.NoError(t, err)
			require.Equal(t, "under k2", string(p))
		}

		// A reader that never learned k2 cannot read what k2 encrypted.
		_, err = old.Decrypt(ctx, c2, aad)
		require.ErrorIs(t, err, keyring.ErrUnknownKey)
		ke, ok := errors.AsType[*keyring.KeyError](err)
		require.True(t, ok)
		require.Equal(t, "k2", ke.KeyID)
		require.Equal(t, `entevents: key "k2": unknown key id: the keyring holds k1`, err.Error())

		// Dropping k1 after the rotation loses what it encrypted.
		_, err = mustRing(t, k2).Decrypt(ctx, c1, aad)
		require.ErrorIs(t, err, keyring.ErrUnknownKey)
	})

	t.Run("WrongKeySameID", func(t *testing.T) {
		t.Parallel()
		c, err := mustRing(t, mustKey(t, "k1", 1)).Encrypt(ctx, []byte("x"), aad)
		require.NoError(t, err)
		_, err = mustRing(t, mustKey(t, "k1", 9)).Decrypt(ctx, c, aad)
		require.ErrorIs(t, err, keyring.ErrDecrypt)
		require.NotErrorIs(t, err, keyring.ErrUnknownKey)
		ke, ok := errors.AsType[*keyring.KeyError](err)
		require.True(t, ok)
		require.Equal(t, "k1", ke.KeyID)
	})

	t.Run("OtherAAD", func(t *testing.T) {
		t.Parallel()
		r := mustRing(t, mustKey(t, "k1", 1))
		c, err := r.Encrypt(ctx, []byte("x"), aad)
		require.NoError(t, err)
		for _, other := range [][]byte{nil, []byte("entity=User record=2"), append(bytes.Clone(aad), 0)} {
			_, err = r.Decrypt(ctx, c, other)
			require.ErrorIs(t, err, keyring.ErrDecrypt)
		}
	})

	t.Run("EveryByteTampered", func(t *testing.T) {
		t.Parallel()
		r := mustRing(t, mustKey(t, "k1", 1), mustKey(t, "k0", 3))
		c, err := r.Encrypt(ctx, []byte("tamper me"), aad)
		require.NoError(t, err)
		for i := range c {
			for _, flip := range []byte{0x01, 0x80} {
				bad := bytes.Clone(c)
				bad[i] ^= flip
				_, err := r.Decrypt(ctx, bad, aad)
				require.Error(t, err, "byte %d ^ %#x", i, flip)
				require.True(t, errors.Is(err, keyring.ErrDecrypt) || errors.Is(err, keyring.ErrUnknownKey), "byte %d: %v", i, err)
			}
		}
		// Changing the key id to another key of the ring fails too: the header is
		// authenticated and the other key does not match.
		bad := bytes.Clone(c)
		bad[3] = '0'
		_, err = r.Decrypt(ctx, bad, aad)
		require.ErrorIs(t, err, keyring.ErrDecrypt)
	})

	t.Run("Truncated", func(t *testing.T) {
		t.Parallel()
		r := mustRing(t, mustKey(t, "k1", 1))
		c, err := r.Encrypt(ctx, []byte("x"), aad)
		require.NoError(t, err)
		for n := range len(c) {
			_, err := r.Decrypt(ctx, c[:n], aad)
			require.ErrorIs(t, err, keyring.ErrDecrypt, "length %d", n)
		}
		_, err = keyring.KeyID(nil)
		require.ErrorIs(t, err, keyring.ErrDecrypt)
		_, err = r.Decrypt(ctx, append([]byte{2}, c[1:]...), aad)
		require.ErrorContains(t, err, "unknown ciphertext format 2")
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		r := mustRing(t, mustKey(t, "k2", 2), mustKey(t, "k1", 1))
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					pt := fmt.Appendf(nil, "g%d-%d", g, i)
					c, err := r.Encrypt(ctx, pt, aad)
					if err == nil {
						var p []byte
						if p, err = r.Decrypt(ctx, c, aad); err == nil && !bytes.Equal(p, pt) {
							err = fmt.Errorf("got %q, want %q", p, pt)
						}
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	})
}

func TestNoKeyMaterialInOutput(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "k1", 1)
	r := mustRing(t, k, mustKey(t, "k0", 2))
	js, err := json.Marshal(struct{ K keyring.Key }{k})
	require.NoError(t, err)
	outputs := []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %q", k, k, k, k, k),
		fmt.Sprint(r), fmt.Sprintf("%v %+v %#v %s", r, r, r, r),
		fmt.Sprintf("%v %+v", []keyring.Key{k}, struct{ K keyring.Key }{k}),
		string(js),
	}
	raw := secret(1)
	for _, out := range outputs {
		require.NotContains(t, out, b64(1))
		require.NotContains(t, out, b64(2))
		require.NotContains(t, out, base64.RawURLEncoding.EncodeToString(raw))
		require.NotContains(t, out, string(raw))
		require.NotContains(t, out, fmt.Sprint(raw))
		require.NotContains(t, out, fmt.Sprintf("%x", raw))
	}
	require.Equal(t, "k1:<secret>", k.String())
	require.Equal(t, "keyring[k1,k0]", r.String())
	require.Equal(t, "k1:"+b64(1), k.Encode())
}

// Environment tests cannot run in parallel (t.Setenv).
func TestFromEnv(t *testing.T) {
	const name = "ENTEVENTS_TEST_KEYRING_FROM_ENV"

	t.Run("Set", func(t *testing.T) {
		t.Setenv(name, "k2:"+b64(2)+",k1:"+b64(1))
		r, err := keyring.FromEnv(name)
		require.NoError(t, err)
		require.Equal(t, []string{"k2", "k1"}, r.IDs())
	})

	t.Run("Unset", func(t *testing.T) {
		_, err := keyring.FromEnv(name + "_UNSET")
		require.ErrorIs(t, err, keyring.ErrNoKeys)
		require.ErrorContains(t, err, name+"_UNSET is not set")
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Setenv(name, "k2:"+b64(2)+",k1:AAAA")
		_, err := keyring.FromEnv(name)
		require.ErrorIs(t, err, keyring.ErrInvalidKey)
		require.ErrorContains(t, err, `key "k1"`)
		require.ErrorContains(t, err, name)
		require.NotContains(t, err.Error(), b64(2))
	})
}

func TestFromEnvOrGenerate(t *testing.T) {
	const name = "ENTEVENTS_TEST_KEYRING_OR_GENERATE"

	t.Run("GeneratesAndPrintsOnce", func(t *testing.T) {
		t.Setenv(name, "")
		var lines []string
		r, err := keyring.FromEnvOrGenerate(name, func(format string, args ...any) {
			lines = append(lines, fmt.Sprintf(format, args...))
		})
		require.NoError(t, err)
		require.Len(t, lines, 1)
		require.Equal(t, keyring.DemoKeyID, r.Primary())

		// The printed assignment is a working key for what r encrypted.
		_, assign, ok := strings.Cut(lines[0], name+"=")
		require.True(t, ok, lines[0])
		t.Setenv(name, strings.TrimSpace(assign))
		again, err := keyring.FromEnv(name)
		require.NoError(t, err)
		c, err := r.Encrypt(ctx, []byte("demo"), nil)
		require.NoError(t, err)
		p, err := again.Decrypt(ctx, c, nil)
		require.NoError(t, err)
		require.Equal(t, "demo", string(p))
	})

	t.Run("UsesTheVariable", func(t *testing.T) {
		t.Setenv(name, "k1:"+b64(1))
		r, err := keyring.FromEnvOrGenerate(name, func(string, ...any) { t.Fatal("logged although the variable is set") })
		require.NoError(t, err)
		require.Equal(t, []string{"k1"}, r.IDs())
	})

	t.Run("InvalidIsAnError", func(t *testing.T) {
		t.Setenv(name, "k1:short")
		_, err := keyring.FromEnvOrGenerate(name, func(string, ...any) { t.Fatal("generated a key for an invalid variable") })
		require.ErrorIs(t, err, keyring.ErrInvalidKey)
	})
}
