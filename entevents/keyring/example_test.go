package keyring_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/entevents/entevents/entevents/keyring"
)

// A key rotation: data encrypted under k1 stays readable once k2 is the primary
// key, as long as the keyring still holds k1.
func Example() {
	ctx := context.Background()
	aad := []byte("binds the ciphertext to its event")

	// In production, load the keys with keyring.FromEnv("ENTEVENTS_KEYS").
	k1, _ := keyring.NewKey("k1", bytes.Repeat([]byte{1}, keyring.Size))
	k2, _ := keyring.NewKey("k2", bytes.Repeat([]byte{2}, keyring.Size))

	before, _ := keyring.New(k1)
	old, _ := before.Encrypt(ctx, []byte("written before the rotation"), aad)

	after, _ := keyring.New(k2, k1) // k2 encrypts, both decrypt
	fresh, _ := after.Encrypt(ctx, []byte("written after the rotation"), aad)

	for _, c := range [][]byte{old, fresh} {
		id, _ := keyring.KeyID(c)
		plain, _ := after.Decrypt(ctx, c, aad)
		fmt.Printf("%s: %s\n", id, plain)
	}

	_, err := after.Decrypt(ctx, old, []byte("another event"))
	fmt.Println(errors.Is(err, keyring.ErrDecrypt))
	_, err = before.Decrypt(ctx, fresh, aad)
	fmt.Println(errors.Is(err, keyring.ErrUnknownKey), err)
	fmt.Println(after)
	// Output:
	// k1: written before the rotation
	// k2: written after the rotation
	// true
	// true entevents: key "k2": unknown key id: the keyring holds k1
	// keyring[k2,k1]
}

// The text form of a keyring, as an environment variable holds it: id:base64key
// entries, primary first.
func ExampleParse() {
	k1, _ := keyring.NewKey("k1", bytes.Repeat([]byte{1}, keyring.Size))
	k2, _ := keyring.NewKey("k2", bytes.Repeat([]byte{2}, keyring.Size))
	spec := k2.Encode() + "," + k1.Encode()
	fmt.Println(spec)

	r, err := keyring.Parse(spec)
	fmt.Println(r.Primary(), r.IDs(), err)

	_, err = keyring.Parse("k3:dG9vIHNob3J0")
	fmt.Println(err)
	// Output:
	// k2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=,k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=
	// k2 [k2 k1] <nil>
	// entevents: key "k3": invalid key: the key is 9 bytes, want 32
}
