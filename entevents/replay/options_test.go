package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

func TestRunUntil(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		b := setup(t, db)
		type point struct {
			id   int64
			at   time.Time
			dump []string
		}
		var points []point
		mark := func() {
			id := b.lastEventID(t)
			// The events of one mutation need not occur in id order.
			var at time.Time
			rows, err := db.SQL.Query(`SELECT occurred_at FROM events`)
			require.NoError(t, err)
			for rows.Next() {
				var o time.Time
				require.NoError(t, rows.Scan(&o))
				if o.After(at) {
					at = o
				}
			}
			require.NoError(t, rows.Err())
			points = append(points, point{id: id, at: at, dump: b.dump(t)})
			// Later events occur strictly later.
			time.Sleep(2 * time.Millisecond)
		}
		u := b.client.User.Create().SetName("Ada").SetEmail("ada@x").SaveX(b.ctx)
		mark()
		b.client.Post.CreateBulk(b.client.Post.Create().SetTitle("a").SetAuthor(u), b.client.Post.Create().SetTitle("b")).ExecX(b.ctx)
		mark()
		u.Update().SetAge(3).ExecX(b.ctx)
		mark()
		b.client.Post.Delete().ExecX(b.ctx)
		mark()
		for _, p := range points {
			require.NoError(t, replay.Run(b.ctx, b.client, replay.UntilEventID(p.id)))
			requireSameDump(t, p.dump, b.dump(t), "until event ", p.id)
			require.NoError(t, replay.Run(b.ctx, b.client, replay.UntilTime(p.at.In(time.FixedZone("", -7*3600)))))
			requireSameDump(t, p.dump, b.dump(t), "until ", p.at)
			require.NoError(t, replay.Run(b.ctx, b.client, replay.UntilTime(p.at.Add(time.Millisecond)), replay.UntilEventID(p.id)))
			requireSameDump(t, p.dump, b.dump(t), "until both ", p.at)
		}
		// Before the first event: empty tables.
		require.NoError(t, replay.Run(b.ctx, b.client, replay.UntilTime(points[0].at.Add(-time.Microsecond))))
		require.Empty(t, b.dump(t))
		require.NoError(t, replay.Run(b.ctx, b.client, replay.UntilEventID(0)))
		require.Empty(t, b.dump(t))
		require.NoError(t, replay.Run(b.ctx, b.client))
		requireSameDump(t, points[len(points)-1].dump, b.dump(t))
	})
}

// TestRunUntilTimeIsAPrefix shows that UntilTime stops at the first event that
// occurred after the time, rather than skipping it and applying later events
// that occurred earlier.
func TestRunUntilTimeIsAPrefix(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		b := setup(t, db)
		at := func(m int) time.Time { return time.Date(2024, 5, 1, 10, m, 0, 0, time.UTC) }
		for i, m := range []int{0, 2, 1} {
			b.insertEvent(t, map[string]any{"entity": "Tag", "record_id": fmt.Sprint(i + 1), "occurred_at": at(m),
				"data": fmt.Sprintf(`{"fields":{"name":"t%d"}}`, i+1)})
		}
		names := func() []string {
			return b.client.Tag.Query().Order(ent.Asc("id")).Select("name").StringsX(b.ctx)
		}
		for _, tc := range []struct {
			until time.Time
			want  []string
		}{
			{at(0).Add(-time.Microsecond), nil},
			{at(0), []string{"t1"}},
			{at(1), []string{"t1"}}, // t3 occurred by then, but after t2 in the log
			{at(2), []string{"t1", "t2", "t3"}},
		} {
			require.NoError(t, replay.Run(b.ctx, b.client, replay.UntilTime(tc.until)))
			require.Equal(t, tc.want, names(), "until %v", tc.until)
		}
	})
}

func TestRunProgress(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		b := setup(t, db)
		sampleHistory(t, b.ctx, b.client)
		events := int64(b.eventCount(t))
		last := b.lastEventID(t)
		for _, size := range []int{1, 4, 1000} {
			var got []replay.Progress
			b.replayAndCompare(t, replay.PageSize(size), replay.OnProgress(func(p replay.Progress) { got = append(got, p) }))
			pages := (events + int64(size) - 1) / int64(size)
			require.Len(t, got, int(pages)+1, "page size %d", size)
			require.Equal(t, replay.Progress{Total: events}, got[0])
			for i := 1; i < len(got); i++ {
				require.Equal(t, min(int64(i*size), events), got[i].Applied)
				require.Equal(t, events, got[i].Total)
			}
			require.Equal(t, last, got[len(got)-1].LastEventID)
		}
		var got []replay.Progress
		require.NoError(t, replay.Run(b.ctx, b.client, replay.UntilEventID(3), replay.OnProgress(func(p replay.Progress) { got = append(got, p) })))
		require.Equal(t, []replay.Progress{{Total: 3}, {Applied: 3, Total: 3, LastEventID: int64(3)}}, got)
	})
}

// TestRunSequences checks that after a replay new records get ids past every id
// the log knows, also of records deleted since and of records after the event
// the replay stopped at.
func TestRunSequences(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		b := setup(t, db)
		for i := range 5 {
			b.client.User.Create().SetName("u").SetEmail(string(rune('a'+i)) + "@x").ExecX(b.ctx)
		}
		mid := b.lastEventID(t)
		b.client.User.Create().SetName("u").SetEmail("f@x").ExecX(b.ctx)
		b.client.User.DeleteOneID(6).ExecX(b.ctx)
		require.NoError(t, replay.Run(b.ctx, b.client, replay.UntilEventID(mid)))
		require.Equal(t, 7, b.client.User.Create().SetName("u").SetEmail("g@x").SaveX(b.ctx).ID)

		// A fresh database holding only the log: the sequences start past
		// the highest id the log created.
		fresh := fixture.Open(t, db.Dialect)
		copyEvents(t, db, fresh)
		require.NoError(t, replay.Run(b.ctx, fresh.Client))
		require.Equal(t, []int{1, 2, 3, 4, 5, 7}, fresh.Client.User.Query().Order(user.ByID()).IDsX(b.ctx))
		require.Equal(t, 8, fresh.Client.User.Create().SetName("u").SetEmail("h@x").SaveX(b.ctx).ID)
	})
}

// copyEvents copies the (plaintext) event log of one database into another.
func copyEvents(t *testing.T, from, to *fixture.DB) {
	t.Helper()
	ctx := context.Background()
	evs := from.Client.Event.Query().Order(ent.Asc("id")).AllX(ctx)
	bulk := make([]*ent.EventCreate, len(evs))
	for i, e := range evs {
		bulk[i] = to.Client.Event.Create().SetRecordID(e.RecordID).SetEntity(e.Entity).SetAction(e.Action).
			SetActionType(e.ActionType).SetVersion(e.Version).SetData(e.Data).SetChangedFields(e.ChangedFields).
			SetMetadata(e.Metadata).SetOccurredAt(e.OccurredAt)
	}
	to.Client.Event.CreateBulk(bulk...).ExecX(ctx)
}

// TestRunEncrypted replays a log encrypted with a vault: the events are
// decrypted, and sensitive values (stored because there is a vault) restored.
func TestRunEncrypted(t *testing.T) {
	t.Parallel()
	key, err := entevents.NewKey("k1", bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	vault, err := entevents.NewKeyring(key)
	require.NoError(t, err)
	other, err := entevents.GenerateKey("k1")
	require.NoError(t, err)
	wrong, err := entevents.NewKeyring(other)
	require.NoError(t, err)
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		c := fixture.NewClientWith(db.Dialect, db.SQL, &entevents.DriverOptions{Vault: vault})
		b := &testBundle{ctx: context.Background(), db: db, client: c}
		sampleHistory(t, b.ctx, c)
		c.User.UpdateOneID(1).SetPasswordHash("s3cret").ExecX(b.ctx)
		var plain int
		require.NoError(t, db.SQL.QueryRow(`SELECT COUNT(*) FROM events WHERE data IS NOT NULL`).Scan(&plain))
		require.Zero(t, plain, "the events are encrypted")

		b.replayAndCompare(t)
		require.Equal(t, "s3cret", c.User.GetX(b.ctx, 1).PasswordHash)

		before := b.dump(t)
		for _, v := range []entevents.Vault{nil, wrong} {
			wc := fixture.NewClientWith(db.Dialect, db.SQL, &entevents.DriverOptions{Vault: v})
			err := replay.Run(b.ctx, wc)
			var ee *entevents.EventError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, int64(1), ee.EventID)
			require.Equal(t, before, b.dump(t))
		}
	})
}
