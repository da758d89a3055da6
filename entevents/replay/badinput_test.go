package replay_test

import (
	"context"
	"errors"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/sqlgraph"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/internal/fixture"
)

// TestRunBadInput appends one bad event to a valid history: the replay fails
// with an *entevents.EventError naming it, and leaves the tables unchanged.
func TestRunBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		event  map[string]any
		want   error  // matched with errors.Is
		field  string // EventError.Field
		sqlite bool   // only on SQLite (PostgreSQL's jsonb refuses to store it)
	}{
		{name: "CorruptJSON", event: map[string]any{"data": `{"fields":{"name":"x"`}, want: entevents.ErrDecode, sqlite: true},
		{name: "NotAnObject", event: map[string]any{"data": `[1,2]`}, want: entevents.ErrDecode},
		{name: "UnknownDocumentKey", event: map[string]any{"data": `{"fieldz":{}}`}, want: entevents.ErrDecode},
		{name: "WrongType", event: map[string]any{"action": "update", "action_type": "update", "data": `{"fields":{"age":"old"}}`}, want: entevents.ErrDecode, field: "age"},
		{name: "Overflow", event: map[string]any{"action": "update", "action_type": "update", "data": `{"fields":{"karma":1e40}}`}, want: entevents.ErrDecode, field: "karma"},
		{name: "UnknownField", event: map[string]any{"action": "update", "action_type": "update", "data": `{"fields":{"nickname":"x"}}`}, want: entevents.ErrDecode, field: "nickname"},
		{name: "UnknownClearedField", event: map[string]any{"action": "update", "action_type": "update", "data": `{"cleared":["nickname"]}`}, want: entevents.ErrDecode, field: "nickname"},
		{name: "AddToString", event: map[string]any{"action": "update", "action_type": "update", "data": `{"added":{"name":"x"}}`}, want: entevents.ErrDecode, field: "name"},
		{name: "UnknownEdge", event: map[string]any{"action": "update", "action_type": "update", "data": `{"edges":{"friends":{"added":[1]}}}`}, want: entevents.ErrDecode, field: "friends"},
		{name: "WrongEdgeIDType", event: map[string]any{"action": "update", "action_type": "update", "data": `{"edges":{"posts":{"added":["x"]}}}`}, want: entevents.ErrDecode, field: "posts"},
		{name: "TwoIDsOnUniqueEdge", event: map[string]any{"action": "update", "action_type": "update", "data": `{"edges":{"profile":{"added":[1,2]}}}`}, want: entevents.ErrDecode, field: "profile"},
		{name: "BadRecordID", event: map[string]any{"record_id": "abc"}, want: entevents.ErrDecode},
		{name: "UnknownEntity", event: map[string]any{"entity": "Robot"}, want: replay.ErrUnknownEntity},
		{name: "UnknownActionType", event: map[string]any{"action": "frobnicate", "action_type": "frobnicate"}, want: replay.ErrUnknownAction},
		{name: "NewerVersion", event: map[string]any{"version": 3}, want: replay.ErrUnknownVersion},
		{name: "EncryptedWithoutVault", event: map[string]any{"data": nil, "encrypted_data": []byte{1, 2, 3}}, want: eventlog.ErrNoVault},
		{name: "UpdateMissingRecord", event: map[string]any{"record_id": "999", "action": "update", "action_type": "update", "data": `{"fields":{"age":1}}`}, want: replay.ErrRecordNotFound},
		{name: "EmptyUpdateMissingRecord", event: map[string]any{"record_id": "999", "action": "update", "action_type": "update", "data": `{}`}, want: replay.ErrRecordNotFound},
		{name: "DeleteMissingRecord", event: map[string]any{"record_id": "999", "action": "delete", "action_type": "delete"}, want: replay.ErrRecordNotFound},
	}
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		b := setup(t, db)
		sampleHistory(t, b.ctx, b.client)
		before, events := b.dump(t), b.eventCount(t)
		for _, tt := range tests {
			if tt.sqlite && db.Dialect != dialect.SQLite {
				continue
			}
			ev := map[string]any{"record_id": "1", "data": `{"fields":{"name":"Zed","email":"zed@x"}}`}
			for k, v := range tt.event {
				ev[k] = v
			}
			id := b.insertEvent(t, ev)
			err := replay.Run(b.ctx, b.client, replay.PageSize(4))
			require.ErrorIs(t, err, tt.want, tt.name)
			var ee *entevents.EventError
			require.ErrorAs(t, err, &ee, tt.name)
			require.Equal(t, id, ee.EventID, tt.name)
			require.Equal(t, tt.field, ee.Field, tt.name)
			want := map[string]any{"entity": "User", "action": "create", "version": 1}
			for k := range want {
				if v, ok := ev[k]; ok {
					want[k] = v
				}
			}
			require.Equal(t, want, map[string]any{"entity": ee.Entity, "action": ee.Action, "version": ee.Version}, tt.name)
			require.Contains(t, err.Error(), "entevents: event ", tt.name)
			require.Equal(t, before, b.dump(t), tt.name)
			_, err = db.SQL.Exec(`DELETE FROM events WHERE id = $1`, id)
			require.NoError(t, err)
			require.Equal(t, events, b.eventCount(t))
		}
		b.replayAndCompare(t)
	})
}

// TestRunAtomic makes replays fail after they have cleared the tables and
// applied events, in later pages and inside batches: the tables are left exactly
// as they were.
func TestRunAtomic(t *testing.T) {
	t.Parallel()

	t.Run("DatabaseErrorInBatch", func(t *testing.T) {
		t.Parallel()
		fixture.Each(t, func(t *testing.T, db *fixture.DB) {
			b := setup(t, db)
			sampleHistory(t, b.ctx, b.client)
			before := b.dump(t)
			// Three tag creates batch into one INSERT; the third violates the
			// unique name.
			b.insertEvent(t, map[string]any{"entity": "Tag", "record_id": "10", "data": `{"fields":{"name":"x"}}`})
			b.insertEvent(t, map[string]any{"entity": "Tag", "record_id": "11", "data": `{"fields":{"name":"y"}}`})
			bad := b.insertEvent(t, map[string]any{"entity": "Tag", "record_id": "12", "data": `{"fields":{"name":"x"}}`})
			b.insertEvent(t, map[string]any{"entity": "Tag", "record_id": "13", "data": `{"fields":{"name":"z"}}`})
			err := replay.Run(b.ctx, b.client)
			var ee *entevents.EventError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, bad, ee.EventID)
			require.True(t, sqlgraph.IsUniqueConstraintError(err), "%v", err)
			require.Equal(t, before, b.dump(t))
		})
	})

	t.Run("MissingRecordInBatch", func(t *testing.T) {
		t.Parallel()
		fixture.Each(t, func(t *testing.T, db *fixture.DB) {
			b := setup(t, db)
			sampleHistory(t, b.ctx, b.client)
			before := b.dump(t)
			b.insertEvent(t, map[string]any{"entity": "Tag", "record_id": "1", "action": "delete", "action_type": "delete"})
			bad := b.insertEvent(t, map[string]any{"entity": "Tag", "record_id": "77", "action": "delete", "action_type": "delete"})
			b.insertEvent(t, map[string]any{"entity": "Tag", "record_id": "2", "action": "delete", "action_type": "delete"})
			err := replay.Run(b.ctx, b.client)
			require.ErrorIs(t, err, replay.ErrRecordNotFound)
			var ee *entevents.EventError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, bad, ee.EventID)
			require.Equal(t, before, b.dump(t))
		})
	})

	t.Run("HandlerError", func(t *testing.T) {
		t.Parallel()
		fixture.Each(t, func(t *testing.T, db *fixture.DB) {
			b := setup(t, db)
			sampleHistory(t, b.ctx, b.client)
			before := b.dump(t)
			boom := errors.New("boom")
			calls := 0
			err := replay.Run(b.ctx, b.client, replay.PageSize(3),
				replay.Route(replay.Match{Entity: "Post", Action: "update"},
					replay.Handler(func(ctx context.Context, c *ent.Client, ev *replay.Event) error {
						if calls++; calls == 2 {
							return boom
						}
						return ev.Apply(ctx)
					})))
			require.ErrorIs(t, err, boom)
			var ee *entevents.EventError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, "Post", ee.Entity)
			require.Equal(t, before, b.dump(t))
		})
	})

	t.Run("HandlerPanics", func(t *testing.T) {
		t.Parallel()
		fixture.Each(t, func(t *testing.T, db *fixture.DB) {
			b := setup(t, db)
			sampleHistory(t, b.ctx, b.client)
			before := b.dump(t)
			require.Panics(t, func() {
				_ = replay.Run(b.ctx, b.client, replay.Route(replay.Match{Entity: "Comment"},
					replay.Handler(func(context.Context, *ent.Client, *replay.Event) error { panic("handler bug") })))
			})
			require.Equal(t, before, b.dump(t))
		})
	})

	t.Run("ClearError", func(t *testing.T) {
		t.Parallel()
		fixture.Each(t, func(t *testing.T, db *fixture.DB) {
			b := setup(t, db)
			sampleHistory(t, b.ctx, b.client)
			before := b.dump(t)
			boom := errors.New("boom")
			err := replay.Run(b.ctx, b.client, replay.ClearWith(func(ctx context.Context, c *ent.Client) error {
				if err := replay.ClearTracked(ctx, c); err != nil {
					return err
				}
				return boom
			}))
			require.ErrorIs(t, err, boom)
			require.Equal(t, before, b.dump(t))
		})
	})

	t.Run("CallerTransaction", func(t *testing.T) {
		t.Parallel()
		fixture.Each(t, func(t *testing.T, db *fixture.DB) {
			b := setup(t, db)
			sampleHistory(t, b.ctx, b.client)
			before := b.dump(t)
			// The live state drifts from the log: rows deleted around entevents.
			_, err := db.SQL.Exec(`DELETE FROM post_tags`)
			require.NoError(t, err)
			_, err = db.SQL.Exec(`DELETE FROM tags`)
			require.NoError(t, err)
			drifted := b.dump(t)
			tx, err := b.client.Tx(b.ctx)
			require.NoError(t, err)
			require.NoError(t, replay.Run(b.ctx, tx.Client()))
			require.Equal(t, 2, tx.Tag.Query().CountX(b.ctx), "the transaction sees the replayed state")
			require.NoError(t, tx.Rollback())
			require.Equal(t, drifted, b.dump(t), "the caller's rollback discards the replay")

			tx, err = b.client.Tx(b.ctx)
			require.NoError(t, err)
			require.NoError(t, replay.Run(b.ctx, tx.Client()))
			require.NoError(t, tx.Commit())
			require.Equal(t, before, b.dump(t))
			require.NotEqual(t, before, drifted)
		})
	})
}
