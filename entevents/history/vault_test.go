package history_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/entevents/history"
	"github.com/entevents/entevents/entevents/keyring"
	"github.com/entevents/entevents/internal/fixture"
)

func testRing(t *testing.T, id string, seed byte) *keyring.Keyring {
	t.Helper()
	k, err := keyring.NewKey(id, bytes.Repeat([]byte{seed}, keyring.Size))
	require.NoError(t, err)
	r, err := keyring.New(k)
	require.NoError(t, err)
	return r
}

// Encrypted events are decrypted with the client's vault as they are read.
func TestEncryptedEvents(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		ring := testRing(t, "k1", 1)
		c := fixture.NewClientWith(db.Dialect, db.SQL, &entevents.DriverOptions{Vault: ring})
		mctx := entevents.WithMetadata(ctx, map[string]any{"ip": "10.0.0.1"})
		u := c.User.Create().SetName("Jane").SetEmail("jane@x").SetPasswordHash("h1").SaveX(mctx)
		c.User.UpdateOne(u).SetPasswordHash("h2").SetName("Janet").ExecX(mctx)

		// The table holds ciphertext only.
		var plain int
		require.NoError(t, db.SQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM events WHERE data IS NOT NULL OR metadata IS NOT NULL").Scan(&plain))
		require.Zero(t, plain)

		evs, err := history.Of(ctx, c, "User", u.ID, nil)
		require.NoError(t, err)
		require.Equal(t, []string{"User/create", "User/update"}, actions(evs))
		require.Equal(t, map[string]any{"ip": "10.0.0.1"}, evs[0].Metadata)
		require.Equal(t, "h1", setValue(t, evs[0], "password_hash"), "with a vault sensitive values are stored, encrypted")
		require.True(t, json.Valid(evs[1].Data))

		st, err := history.Current(ctx, c, "User", u.ID)
		require.NoError(t, err)
		require.Equal(t, "h2", st.Fields["password_hash"])
		require.Empty(t, st.Unknown)
		diffs, err := history.Diffs(ctx, c, "User", u.ID)
		require.NoError(t, err)
		require.Equal(t, history.FieldDiff{Field: "password_hash", Old: "h1", New: "h2"}, fieldDiffs(diffs[0])["password_hash"])

		// A transaction's client reads with the same vault.
		tx, err := c.Tx(ctx)
		require.NoError(t, err)
		inTx, err := history.Of(ctx, tx.Client(), "User", u.ID, nil)
		require.NoError(t, err)
		require.Len(t, inTx, 2)
		require.NoError(t, tx.Rollback())

		// Without the vault, or with another key: an error naming the event.
		var evErr *eventlog.EventError
		_, err = history.Of(ctx, db.Client, "User", u.ID, nil)
		require.ErrorIs(t, err, eventlog.ErrNoVault)
		require.ErrorAs(t, err, &evErr)
		require.Equal(t, evs[0].ID, evErr.EventID)
		other := fixture.NewClientWith(db.Dialect, db.SQL, &entevents.DriverOptions{Vault: testRing(t, "k2", 2)})
		_, err = history.AsOf(ctx, other, "User", u.ID, evs[1].OccurredAt)
		require.ErrorAs(t, err, &evErr)
		require.Equal(t, evs[0].ID, evErr.EventID)
		require.ErrorIs(t, err, keyring.ErrUnknownKey)
	})
}
