package entevents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/entevents/keyring"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/example/ent/schema"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

// marker is written into fields, sensitive fields and metadata; it must never
// reach the events table in plaintext.
const marker = "MARKER-c0ffee-7f3a9c"

// secretKey returns a deterministic key named id.
func secretKey(t *testing.T, id string, seed byte) entevents.Key {
	t.Helper()
	b := make([]byte, keyring.Size)
	for i := range b {
		b[i] = seed ^ byte(i*13+1)
	}
	k, err := entevents.NewKey(id, b)
	require.NoError(t, err)
	return k
}

func ring(t *testing.T, keys ...entevents.Key) *entevents.Keyring {
	t.Helper()
	r, err := entevents.NewKeyring(keys...)
	require.NoError(t, err)
	return r
}

type secretsBundle struct {
	db *fixture.DB
}

// client returns a client of the bundle's database whose driver has vault v
// (nil: the EventLog's, which the example schema leaves unset).
func (b *secretsBundle) client(v entevents.Vault) *ent.Client {
	return fixture.NewClientWith(b.db.Dialect, b.db.SQL, &entevents.DriverOptions{Vault: v})
}

// stored reads every event through ent, as the log stores it (not unsealed).
func (b *secretsBundle) stored(t *testing.T) []*eventlog.Stored {
	t.Helper()
	evs, err := b.db.Client.Event.Query().Order(event.ByID()).All(context.Background())
	require.NoError(t, err)
	out := make([]*eventlog.Stored, len(evs))
	for i, e := range evs {
		s := &eventlog.Stored{
			ID: e.ID, RecordID: e.RecordID, Entity: e.Entity, Action: e.Action, ActionType: string(e.ActionType),
			Version: e.Version, Data: e.Data, Metadata: e.Metadata, ChangedFields: e.ChangedFields, OccurredAt: e.OccurredAt,
		}
		if e.EncryptedData != nil {
			s.EncData = *e.EncryptedData
		}
		if e.EncryptedMetadata != nil {
			s.EncMetadata = *e.EncryptedMetadata
		}
		out[i] = s
	}
	return out
}

// unseal decrypts ev as a reader of client does.
func unseal(client *ent.Client, ev *eventlog.Stored) error {
	return client.Entevents().Log.UnsealWith(context.Background(), eventlog.VaultOf(client), ev)
}

// rebind turns ? placeholders into the dialect's.
func (b *secretsBundle) rebind(query string) string {
	if b.db.Dialect != dialect.Postgres {
		return query
	}
	var out strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			fmt.Fprintf(&out, "$%d", n)
			continue
		}
		out.WriteRune(c)
	}
	return out.String()
}

func (b *secretsBundle) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	_, err := b.db.SQL.ExecContext(context.Background(), b.rebind(query), args...)
	require.NoError(t, err)
}

func (b *secretsBundle) bytesOf(t *testing.T, column string, id int64) []byte {
	t.Helper()
	var v []byte
	require.NoError(t, b.db.SQL.QueryRowContext(context.Background(), b.rebind("SELECT "+column+" FROM events WHERE id = ?"), id).Scan(&v))
	require.NotEmpty(t, v)
	return v
}

// rawRows returns every column of every row of the events table as the driver
// returns it, rendered to bytes: text and blobs as they are, other values
// printed. On PostgreSQL it adds each row's text form (bytea as hex).
func (b *secretsBundle) rawRows(t *testing.T) [][]byte {
	t.Helper()
	ctx := context.Background()
	rows, err := b.db.SQL.QueryContext(ctx, "SELECT * FROM events")
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	require.Contains(t, cols, "encrypted_data")
	var out [][]byte
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		var row [][]byte
		for _, v := range vals {
			switch x := v.(type) {
			case nil:
			case []byte:
				row = append(row, x)
			case string:
				row = append(row, []byte(x))
			default:
				row = append(row, fmt.Append(nil, x))
			}
		}
		out = append(out, bytes.Join(row, []byte{0}))
	}
	require.NoError(t, rows.Err())
	if b.db.Dialect == dialect.Postgres {
		texts, err := b.db.SQL.QueryContext(ctx, "SELECT events::text FROM events")
		require.NoError(t, err)
		defer texts.Close()
		for texts.Next() {
			var s string
			require.NoError(t, texts.Scan(&s))
			out = append(out, []byte(s))
		}
		require.NoError(t, texts.Err())
	}
	return out
}

// requireNoMarker fails if any stored byte sequence holds s, in plaintext or hex.
func (b *secretsBundle) requireNoMarker(t *testing.T, s string) {
	t.Helper()
	rows := b.rawRows(t)
	require.NotEmpty(t, rows)
	for i, row := range rows {
		require.False(t, bytes.Contains(row, []byte(s)), "row %d of events holds %q in plaintext", i, s)
		require.False(t, bytes.Contains(bytes.ToLower(row), fmt.Appendf(nil, "%x", s)), "row %d of events holds %q in hex", i, s)
	}
}

func eachSecrets(t *testing.T, fn func(t *testing.T, b *secretsBundle)) {
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		fn(t, &secretsBundle{db: db})
	})
}

// writeMarked records events through client along every capture path, with the
// marker in plain fields, the sensitive field, JSON and bytes fields, edges'
// rows and metadata. It returns the user's id.
func writeMarked(t *testing.T, client *ent.Client) int {
	t.Helper()
	ctx := entevents.WithMetadata(context.Background(), map[string]any{"request_id": marker, "nested": map[string]any{"why": marker}})
	ctx = entevents.WithActor(ctx, entevents.System("job"))
	u := client.User.Create().
		SetName("name " + marker).SetEmail(marker + "@example.com").SetPasswordHash("hash " + marker).
		SetAvatar([]byte(marker)).SetSettings(schema.Settings{Theme: marker, Languages: []string{marker}}).
		SaveX(ctx)
	client.User.UpdateOne(u).SetPasswordHash("rehash " + marker).SetName("renamed " + marker).ExecX(ctx)
	client.User.Update().Where(user.ID(u.ID)).SetPasswordHash("bulk " + marker).ExecX(ctx)
	// Upsert: the event records the row read back, sensitive field included.
	client.User.Create().SetName("upsert " + marker).SetEmail(marker + "@example.com").SetPasswordHash("upsert " + marker).
		OnConflictColumns(user.FieldEmail).UpdateNewValues().ExecX(ctx)
	client.Tag.CreateBulk(client.Tag.Create().SetName("tag1 "+marker), client.Tag.Create().SetName("tag2 "+marker)).ExecX(ctx)
	// In the caller's transaction.
	tx, err := client.Tx(ctx)
	require.NoError(t, err)
	tx.Post.Create().SetTitle("title " + marker).SetBody(marker).SetAuthorID(u.ID).
		SetAttributes(map[string]any{"k": marker}).ExecX(ctx)
	require.NoError(t, tx.Commit())
	client.User.UpdateOneID(u.ID).ClearPasswordHash().ExecX(ctx)
	return u.ID
}

func TestSecretsVaultStoresNoPlaintext(t *testing.T) {
	t.Parallel()
	eachSecrets(t, func(t *testing.T, b *secretsBundle) {
		v := ring(t, secretKey(t, "k1", 1))
		client := b.client(v)
		uid := writeMarked(t, client)

		b.requireNoMarker(t, marker)

		evs := b.stored(t)
		require.Len(t, evs, 8)
		var hashes []string
		for _, ev := range evs {
			require.Nil(t, ev.Data, "event %v: data must be NULL with a vault", ev.ID)
			require.Nil(t, ev.Metadata, "event %v: metadata must be NULL with a vault", ev.ID)
			require.NotEmpty(t, ev.EncData)
			require.NotEmpty(t, ev.EncMetadata)
			id, err := keyring.KeyID(ev.EncData)
			require.NoError(t, err)
			require.Equal(t, "k1", id)

			require.NoError(t, unseal(client, ev))
			require.Nil(t, ev.EncData)
			var md map[string]any
			require.NoError(t, json.Unmarshal(ev.Metadata, &md))
			require.Equal(t, marker, md["request_id"])
			d, err := eventlog.ParseData(ev.Data)
			require.NoError(t, err)
			require.Empty(t, d.Redacted, "with a vault nothing is redacted")
			if raw, ok := d.Fields["password_hash"]; ok && ev.Entity == "User" {
				var h string
				require.NoError(t, json.Unmarshal(raw, &h))
				hashes = append(hashes, ev.Action+": "+h)
			}
		}
		// The sensitive field is stored encrypted and decrypts to its value.
		require.Equal(t, []string{
			"create: hash " + marker, "update: rehash " + marker, "update: bulk " + marker, "upsert: upsert " + marker,
		}, hashes)
		last := evs[len(evs)-1]
		require.Equal(t, fmt.Sprint(uid), last.RecordID)
		require.Contains(t, string(last.Data), `"cleared":["password_hash"]`)

		// The schema itself has no vault: the default client cannot read them.
		ev := b.stored(t)[0]
		err := b.db.Client.Entevents().Log.Unseal(context.Background(), ev)
		require.ErrorIs(t, err, entevents.ErrNoVault)
	})
}

func TestSecretsSensitiveWithoutVault(t *testing.T) {
	t.Parallel()
	eachSecrets(t, func(t *testing.T, b *secretsBundle) {
		ctx := context.Background()
		client := b.db.Client
		const plain = "visible-name-5d1e"
		u := client.User.Create().SetName(plain).SetEmail("a@example.com").SetPasswordHash("hash " + marker).SaveX(ctx)
		client.User.UpdateOne(u).SetPasswordHash("rehash " + marker).ExecX(ctx)
		client.User.Update().Where(user.ID(u.ID)).SetPasswordHash("bulk " + marker).ExecX(ctx)
		client.User.Create().SetName(plain).SetEmail("a@example.com").SetPasswordHash("upsert " + marker).
			OnConflictColumns(user.FieldEmail).UpdateNewValues().ExecX(ctx)

		b.requireNoMarker(t, marker)
		// The scan does see plaintext: the non-sensitive name is there.
		found := false
		for _, row := range b.rawRows(t) {
			found = found || bytes.Contains(row, []byte(plain))
		}
		require.True(t, found, "the raw scan does not see plaintext fields")

		// The value is still in the users table: only the log leaves it out.
		require.Equal(t, "upsert "+marker, client.User.GetX(ctx, u.ID).PasswordHash)

		evs := b.stored(t)
		require.Len(t, evs, 4)
		for _, ev := range evs {
			require.Nil(t, ev.EncData)
			require.NoError(t, unseal(client, ev)) // plaintext: nothing to do
			d, err := eventlog.ParseData(ev.Data)
			require.NoError(t, err)
			require.Equal(t, []string{"password_hash"}, d.Redacted, "event %v (%s)", ev.ID, ev.Action)
			require.NotContains(t, d.Fields, "password_hash")
			require.Contains(t, ev.ChangedFields, "password_hash", "changed_fields still says it changed")
			c, err := client.Entevents().Entity("User").Decode(d)
			require.NoError(t, err)
			require.Equal(t, []string{"password_hash"}, c.Redacted)
		}
		require.Equal(t, "upsert", evs[3].Action)
	})
}

func TestSecretsKeyRotation(t *testing.T) {
	t.Parallel()
	eachSecrets(t, func(t *testing.T, b *secretsBundle) {
		ctx := context.Background()
		k1, k2 := secretKey(t, "k1", 1), secretKey(t, "k2", 2)
		before := b.client(ring(t, k1))
		u := before.User.Create().SetName("before").SetEmail("r@example.com").SetPasswordHash("p1").SaveX(ctx)

		after := b.client(ring(t, k2, k1))
		after.User.UpdateOneID(u.ID).SetName("after").SetPasswordHash("p2").ExecX(ctx)

		evs := b.stored(t)
		require.Len(t, evs, 2)
		for i, want := range []string{"k1", "k2"} {
			id, err := keyring.KeyID(evs[i].EncData)
			require.NoError(t, err)
			require.Equal(t, want, id)
			id, err = keyring.KeyID(evs[i].EncMetadata)
			require.NoError(t, err)
			require.Equal(t, want, id)
		}

		// The rotated keyring reads both.
		for i, want := range []string{`"before"`, `"after"`} {
			ev := evs[i]
			require.NoError(t, unseal(after, ev))
			require.Contains(t, string(ev.Data), want)
			require.JSONEq(t, `{}`, string(ev.Metadata))
		}

		// A keyring without k2 (a reader not yet updated) cannot read the new event
		// and names it and the key.
		evs = b.stored(t)
		require.NoError(t, unseal(before, evs[0]))
		err := unseal(before, evs[1])
		require.ErrorIs(t, err, entevents.ErrUnknownKey)
		ee, ok := errors.AsType[*entevents.EventError](err)
		require.True(t, ok)
		require.Equal(t, evs[1].ID, ee.EventID)
		require.ErrorContains(t, err, fmt.Sprintf("event %v (User update v1)", evs[1].ID))
		require.ErrorContains(t, err, `key "k2"`)
		require.NotNil(t, evs[1].EncData, "a failed unseal leaves the event as it was")
	})
}

func TestSecretsTamperedCiphertext(t *testing.T) {
	t.Parallel()
	eachSecrets(t, func(t *testing.T, b *secretsBundle) {
		ctx := entevents.WithMetadata(context.Background(), map[string]any{"m": 1})
		client := b.client(ring(t, secretKey(t, "k1", 1)))
		client.Tag.Create().SetName("one").ExecX(ctx)
		client.Tag.Create().SetName("two").ExecX(ctx)
		evs := b.stored(t)
		require.Len(t, evs, 2)
		id := evs[1].ID.(int64)

		for _, col := range []string{"encrypted_data", "encrypted_metadata"} {
			orig := b.bytesOf(t, col, id)
			for _, pos := range []int{len(orig) - 1, len(orig) / 2, 0} {
				bad := bytes.Clone(orig)
				bad[pos] ^= 0x01
				b.exec(t, "UPDATE events SET "+col+" = ? WHERE id = ?", bad, id)
				ev := b.stored(t)[1]
				err := unseal(client, ev)
				require.Error(t, err, "%s byte %d", col, pos)
				ee, ok := errors.AsType[*entevents.EventError](err)
				require.True(t, ok, "%v", err)
				require.Equal(t, id, ee.EventID)
				require.ErrorContains(t, err, fmt.Sprintf("event %d (Tag create v1)", id))
				if pos != 0 {
					require.ErrorIs(t, err, entevents.ErrDecrypt)
				}
				// The untouched event still reads.
				require.NoError(t, unseal(client, b.stored(t)[0]))
			}
			b.exec(t, "UPDATE events SET "+col+" = ? WHERE id = ?", orig, id)
			require.NoError(t, unseal(client, b.stored(t)[1]))
		}
	})
}

func TestSecretsMovedCiphertext(t *testing.T) {
	t.Parallel()
	eachSecrets(t, func(t *testing.T, b *secretsBundle) {
		ctx := context.Background()
		client := b.client(ring(t, secretKey(t, "k1", 1)))
		u := client.User.Create().SetName("a").SetEmail("m@example.com").SaveX(ctx)
		client.User.UpdateOne(u).SetName("b").ExecX(ctx)
		client.User.UpdateOne(u).SetName("c").ExecX(ctx) // same entity, record and action as the second
		client.Tag.Create().SetName("t").ExecX(ctx)
		evs := b.stored(t)
		require.Len(t, evs, 4)
		ids := make([]int64, len(evs))
		for i, ev := range evs {
			ids[i] = ev.ID.(int64)
		}

		check := func(t *testing.T, victim int64) {
			t.Helper()
			var ev *eventlog.Stored
			for _, s := range b.stored(t) {
				if s.ID == victim {
					ev = s
				}
			}
			err := unseal(client, ev)
			require.ErrorIs(t, err, entevents.ErrDecrypt)
			ee, ok := errors.AsType[*entevents.EventError](err)
			require.True(t, ok)
			require.Equal(t, victim, ee.EventID)
			require.ErrorContains(t, err, fmt.Sprintf("event %d ", victim))
		}
		tests := []struct {
			name           string
			from, to       int
			fromCol, toCol string
		}{
			{"OtherRecordAndAction", 0, 3, "encrypted_data", "encrypted_data"},
			{"SameRecordOtherTime", 1, 2, "encrypted_data", "encrypted_data"},
			{"OtherEntity", 3, 0, "encrypted_metadata", "encrypted_metadata"},
			{"DataToMetadata", 1, 1, "encrypted_data", "encrypted_metadata"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				orig := b.bytesOf(t, tt.toCol, ids[tt.to])
				b.exec(t, "UPDATE events SET "+tt.toCol+" = ? WHERE id = ?", b.bytesOf(t, tt.fromCol, ids[tt.from]), ids[tt.to])
				check(t, ids[tt.to])
				b.exec(t, "UPDATE events SET "+tt.toCol+" = ? WHERE id = ?", orig, ids[tt.to])
				for _, ev := range b.stored(t) {
					require.NoError(t, unseal(client, ev))
				}
			})
		}
	})
}

func TestSecretsMissingKey(t *testing.T) {
	t.Parallel()
	eachSecrets(t, func(t *testing.T, b *secretsBundle) {
		ctx := context.Background()
		writer := b.client(ring(t, secretKey(t, "k1", 1)))
		writer.Tag.Create().SetName("t").ExecX(ctx)
		ev0 := b.stored(t)[0]

		tests := []struct {
			name   string
			reader *ent.Client
			is     error
			text   string
		}{
			{"NoVault", b.db.Client, entevents.ErrNoVault, "has no vault"},
			{"OtherKeyring", b.client(ring(t, secretKey(t, "k2", 2))), entevents.ErrUnknownKey, `decrypt data: key "k1": unknown key id: the keyring holds k2`},
			{"WrongKeySameID", b.client(ring(t, secretKey(t, "k1", 9))), entevents.ErrDecrypt, `decrypt data: key "k1": cannot decrypt`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ev := b.stored(t)[0]
				err := unseal(tt.reader, ev)
				require.ErrorIs(t, err, tt.is)
				ee, ok := errors.AsType[*entevents.EventError](err)
				require.True(t, ok)
				require.Equal(t, ev0.ID, ee.EventID)
				require.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("entevents: event %v (Tag create v1): ", ev0.ID)), err.Error())
				require.ErrorContains(t, err, tt.text)
			})
		}
	})
}

// A vault on a transaction's client: the events of client.Tx are sealed with the
// vault of the driver the transaction was begun on, and VaultOf finds it from the
// transaction's client too.
func TestSecretsVaultOfTxClient(t *testing.T) {
	t.Parallel()
	eachSecrets(t, func(t *testing.T, b *secretsBundle) {
		ctx := context.Background()
		v := ring(t, secretKey(t, "k1", 1))
		client := b.client(v)
		require.Same(t, v, eventlog.VaultOf(client))
		require.Nil(t, eventlog.VaultOf(b.db.Client))
		tx, err := client.Tx(ctx)
		require.NoError(t, err)
		require.Same(t, v, eventlog.VaultOf(tx.Client()))
		tx.Tag.Create().SetName("in tx").ExecX(ctx)
		require.NoError(t, tx.Commit())
		ev := b.stored(t)[0]
		require.NotNil(t, ev.EncData)
		require.NoError(t, unseal(client, ev))
		require.Contains(t, string(ev.Data), "in tx")
	})
}

// Without a vault, numeric deltas (AddX) of a sensitive field are redacted like
// its values: a delta reveals as much.
func TestSecretsSensitiveAddRedacted(t *testing.T) {
	t.Parallel()
	users := ent.Entevents().Entity("User")
	fields := make([]*eventlog.Field, len(users.Fields))
	for i, f := range users.Fields {
		c := *f
		c.Sensitive = c.Name == user.FieldKarma
		fields[i] = &c
	}
	e := &eventlog.Entity{Name: "User", Table: users.Table, IDColumn: users.IDColumn, IDType: users.IDType, DecodeID: users.DecodeID, Fields: fields}
	eventlog.NewBinding(&eventlog.Log{}, e)
	client := ent.NewClient()
	m := client.User.UpdateOneID(1).AddKarma(41).SetName("n").Mutation()

	d, changed, err := e.EncodeMutation(m, false)
	require.NoError(t, err)
	require.Equal(t, []string{user.FieldKarma}, d.Redacted)
	require.NotContains(t, d.Added, user.FieldKarma)
	require.Equal(t, []string{user.FieldKarma, user.FieldName}, changed)

	d, _, err = e.EncodeMutation(m, true)
	require.NoError(t, err)
	require.Empty(t, d.Redacted)
	require.JSONEq(t, "41", string(d.Added[user.FieldKarma]))
}

// AAD binds every part of the event identity: changing any one gives other bytes.
func TestSecretsAAD(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	base := eventlog.AAD("data", "User", "1", "update", 1, at)
	require.Equal(t, base, eventlog.AAD("data", "User", []byte("1"), "update", 1, at.In(time.FixedZone("x", 3600))))
	require.Equal(t, base, eventlog.AAD("data", "User", int64(1), "update", 1, at))
	for name, other := range map[string][]byte{
		"column":     eventlog.AAD("metadata", "User", "1", "update", 1, at),
		"entity":     eventlog.AAD("data", "Post", "1", "update", 1, at),
		"record":     eventlog.AAD("data", "User", "2", "update", 1, at),
		"action":     eventlog.AAD("data", "User", "1", "create", 1, at),
		"version":    eventlog.AAD("data", "User", "1", "update", 2, at),
		"time":       eventlog.AAD("data", "User", "1", "update", 1, at.Add(time.Microsecond)),
		"boundaries": eventlog.AAD("data", "User", "1u", "pdate", 1, at),
	} {
		require.NotEqual(t, base, other, name)
	}
}
