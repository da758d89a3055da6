package history_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/entevents/history"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

func TestOf(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		start := time.Now().Add(-time.Second)
		signup := entevents.WithActor(ctx, entevents.System("signup"))
		admin := c.User.Create().SetName("Admin").SetEmail("admin@x").SetRole(user.RoleAdmin).SaveX(signup)
		actx := entevents.WithMetadata(entevents.WithActor(ctx, admin), map[string]any{"request_id": "r-1", "attempt": 2})
		jane := c.User.Create().SetName("Jane").SetEmail("jane@x").SetAge(30).SetPasswordHash("secret").SaveX(signup)
		c.User.UpdateOne(jane).SetName("Janet").AddKarma(5).ExecX(actx)
		c.User.UpdateOne(admin).SetScore(1).ExecX(actx)
		c.User.UpdateOne(jane).ClearAge().ExecX(entevents.WithAction(actx, "anonymize"))
		c.User.DeleteOneID(jane.ID).ExecX(actx)

		evs, err := history.Of(ctx, c, "User", jane.ID, nil)
		require.NoError(t, err)
		require.Equal(t, []string{"User/create", "User/update", "User/anonymize", "User/delete"}, actions(evs))
		require.True(t, slices.IsSorted(ids(evs)), "ids in commit order: %v", ids(evs))
		for _, ev := range evs {
			require.Equal(t, jane.ID, ev.RecordID, "record id typed as the entity's id")
			require.Equal(t, "User", ev.Entity)
			require.Equal(t, time.UTC, ev.OccurredAt.Location())
			require.WithinRange(t, ev.OccurredAt, start, time.Now())
		}

		create := evs[0]
		require.Equal(t, eventlog.TypeCreate, create.ActionType)
		require.Equal(t, 2, create.Version, "User create is at version 2")
		require.Equal(t, "system_actor", create.ActorColumn)
		require.Equal(t, "signup", create.Actor)
		require.Equal(t, map[string]any{}, create.Metadata)
		require.Equal(t, "Jane", setValue(t, create, "name"))
		require.Equal(t, 30, setValue(t, create, "age"))
		require.Equal(t, user.RoleMember, setValue(t, create, "role"))
		require.Equal(t, []string{"password_hash"}, create.Change.Redacted)
		require.Contains(t, create.ChangedFields, "password_hash")
		require.Contains(t, create.ChangedFields, "name")
		require.JSONEq(t, `"Jane"`, string(mustData(t, create).Fields["name"]))

		rename := evs[1]
		require.Equal(t, eventlog.TypeUpdate, rename.ActionType)
		require.Equal(t, 1, rename.Version)
		require.Equal(t, "user_id", rename.ActorColumn)
		require.Equal(t, int64(admin.ID), rename.Actor)
		require.Equal(t, map[string]any{"request_id": "r-1", "attempt": json.Number("2")}, rename.Metadata)
		require.Equal(t, "Janet", setValue(t, rename, "name"))
		require.Len(t, rename.Change.Added, 1)
		require.Equal(t, "karma", rename.Change.Added[0].Field.Name)
		require.Equal(t, int64(5), rename.Change.Added[0].Value)
		require.Equal(t, []string{"karma", "name", "update_time"}, rename.ChangedFields)

		anon := evs[2]
		require.Equal(t, eventlog.TypeUpdate, anon.ActionType)
		require.Len(t, anon.Change.Cleared, 1)
		require.Equal(t, "age", anon.Change.Cleared[0].Name)

		del := evs[3]
		require.Equal(t, eventlog.TypeDelete, del.ActionType)
		require.Empty(t, del.Change.Set)
		require.Empty(t, del.ChangedFields)

		// The same history whatever form the id is given in.
		for _, id := range []any{int64(jane.ID), int32(jane.ID), strconv.Itoa(jane.ID)} {
			got, err := history.Of(ctx, c, "User", id, nil)
			require.NoError(t, err)
			require.Equal(t, ids(evs), ids(got), "id %T", id)
		}
		// Other records are not mixed in.
		adminEvs, err := history.Of(ctx, c, "User", admin.ID, nil)
		require.NoError(t, err)
		require.Equal(t, []string{"User/create", "User/update"}, actions(adminEvs))

		// Keyset pagination, both directions.
		p1, err := history.Of(ctx, c, "User", jane.ID, &history.Page{Limit: 3})
		require.NoError(t, err)
		require.Equal(t, ids(evs[:3]), ids(p1))
		p2, err := history.Of(ctx, c, "User", jane.ID, &history.Page{AfterID: p1[2].ID, Limit: 3})
		require.NoError(t, err)
		require.Equal(t, ids(evs[3:]), ids(p2))
		p3, err := history.Of(ctx, c, "User", jane.ID, &history.Page{AfterID: p2[0].ID, Limit: 3})
		require.NoError(t, err)
		require.Empty(t, p3)
		desc, err := history.Of(ctx, c, "User", jane.ID, &history.Page{Desc: true, Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []int64{ids(evs)[3], ids(evs)[2]}, ids(desc))
		desc2, err := history.Of(ctx, c, "User", jane.ID, &history.Page{Desc: true, AfterID: desc[1].ID})
		require.NoError(t, err)
		require.Equal(t, []int64{ids(evs)[1], ids(evs)[0]}, ids(desc2))

		// A record with no events, and bad ids.
		none, err := history.Of(ctx, c, "User", 999999, nil)
		require.NoError(t, err)
		require.Empty(t, none)
		_, err = history.Of(ctx, c, "User", "not-a-number", nil)
		require.ErrorIs(t, err, history.ErrInvalidQuery)
		_, err = history.Of(ctx, c, "User", uuid.New(), nil)
		require.ErrorIs(t, err, history.ErrInvalidQuery)
		_, err = history.Find(ctx, c, &history.Query{RecordID: jane.ID})
		require.ErrorIs(t, err, history.ErrInvalidQuery)
		_, err = history.Of(ctx, c, "User", jane.ID, &history.Page{Limit: -1})
		require.ErrorIs(t, err, history.ErrInvalidQuery)
	})
}

func mustData(t *testing.T, ev *history.Event) *eventlog.Data {
	t.Helper()
	d, err := eventlog.ParseData(ev.Data)
	require.NoError(t, err)
	return d
}

func TestOfUUIDRecordAndEdges(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		u := c.User.Create().SetName("A").SetEmail("a@x").SaveX(ctx)
		p := c.Post.Create().SetTitle("Hello").SaveX(ctx)
		cm := c.Comment.Create().SetBody("First!").SetPost(p).SetAuthor(u).SaveX(ctx)
		c.Comment.UpdateOne(cm).SetBody("First, edited").AddLikes(2).ClearAuthor().ExecX(ctx)

		for _, id := range []any{cm.ID, cm.ID.String()} {
			evs, err := history.Of(ctx, c, "Comment", id, nil)
			require.NoError(t, err)
			require.Equal(t, []string{"Comment/create", "Comment/update"}, actions(evs))
			require.Equal(t, cm.ID, evs[0].RecordID)
			require.Len(t, evs[0].Change.Edges, 2)
			require.Equal(t, "post", evs[0].Change.Edges[0].Edge.Name)
			require.Equal(t, []any{p.ID}, evs[0].Change.Edges[0].Added)
			require.Equal(t, "author", evs[0].Change.Edges[1].Edge.Name)
			require.Equal(t, []any{u.ID}, evs[0].Change.Edges[1].Added)
			require.Len(t, evs[1].Change.Edges, 1)
			require.True(t, evs[1].Change.Edges[0].Cleared)
		}
	})
}

func TestByActor(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		admin := c.User.Create().SetName("Admin").SetEmail("admin@x").SaveX(entevents.WithActor(ctx, entevents.System("seed")))
		editor := c.User.Create().SetName("Ed").SetEmail("ed@x").SaveX(entevents.WithActor(ctx, entevents.System("seed")))
		actx := entevents.WithActor(ctx, admin)
		ectx := entevents.WithActor(ctx, editor)
		tags := c.Tag.CreateBulk(c.Tag.Create().SetName("go"), c.Tag.Create().SetName("ent")).SaveX(actx)
		p := c.Post.Create().SetTitle("T").SetAuthor(editor).AddTags(tags...).SaveX(ectx)
		c.Post.UpdateOne(p).SetStatus("published").ExecX(actx)
		c.Post.UpdateOne(p).AddViews(10).ExecX(ectx)
		require.Error(t, c.Tag.Update().SetName("x").Exec(actx), "unique name: rolled back, nothing recorded")
		c.User.UpdateOne(editor).SetScore(2).ExecX(ctx) // no actor

		byAdmin, err := history.ByActor(ctx, c, admin, nil)
		require.NoError(t, err)
		require.Equal(t, []string{"Tag/create", "Tag/create", "Post/update"}, actions(byAdmin))
		for _, ev := range byAdmin {
			require.Equal(t, "user_id", ev.ActorColumn)
			require.Equal(t, int64(admin.ID), ev.Actor)
		}
		byAdminID, err := history.ByActorColumn(ctx, c, "user_id", admin.ID, nil)
		require.NoError(t, err)
		require.Equal(t, ids(byAdmin), ids(byAdminID))

		byEditor, err := history.ByActor(ctx, c, editor, &history.Page{Desc: true})
		require.NoError(t, err)
		require.Equal(t, []string{"Post/update", "Post/create"}, actions(byEditor))

		seeded, err := history.ByActor(ctx, c, entevents.System("seed"), nil)
		require.NoError(t, err)
		require.Equal(t, []string{"User/create", "User/create"}, actions(seeded))
		seeded2, err := history.ByActorColumn(ctx, c, "system_actor", "seed", nil)
		require.NoError(t, err)
		require.Equal(t, ids(seeded), ids(seeded2))
		none, err := history.ByActor(ctx, c, entevents.System("nobody"), nil)
		require.NoError(t, err)
		require.Empty(t, none)

		// By actor and entity, paged.
		page, err := history.Find(ctx, c, &history.Query{Actor: admin, Entity: "Tag", Page: history.Page{Limit: 1}})
		require.NoError(t, err)
		require.Equal(t, ids(byAdmin[:1]), ids(page))
		page, err = history.Find(ctx, c, &history.Query{Actor: admin, Entity: "Tag", Page: history.Page{Limit: 5, AfterID: page[0].ID}})
		require.NoError(t, err)
		require.Equal(t, ids(byAdmin[1:2]), ids(page))

		_, err = history.ByActor(ctx, c, struct{}{}, nil)
		require.ErrorIs(t, err, eventlog.ErrUnknownActor)
		_, err = history.ByActorColumn(ctx, c, "nope", 1, nil)
		require.ErrorIs(t, err, history.ErrInvalidQuery)
		_, err = history.ByActorColumn(ctx, c, "user_id", "abc", nil)
		require.ErrorIs(t, err, history.ErrInvalidQuery)
		_, err = history.ByActorColumn(ctx, c, "system_actor", 5, nil)
		require.ErrorIs(t, err, history.ErrInvalidQuery)
	})
}

func TestByEntityAndTimeRange(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		phase := func(n int, name string) {
			for i := range n {
				c.Tag.Create().SetName(name + strconv.Itoa(i)).SaveX(ctx)
			}
			c.User.Create().SetName(name).SetEmail(name + "@x").SaveX(ctx)
		}
		phase(2, "a")
		id1 := lastEventID(t, ctx, c)
		time.Sleep(3 * time.Millisecond)
		t1 := time.Now()
		time.Sleep(3 * time.Millisecond)
		phase(3, "b")
		id2 := lastEventID(t, ctx, c)
		time.Sleep(3 * time.Millisecond)
		// A bound in another zone is the same instant.
		t2 := time.Now().In(time.FixedZone("UTC+5", 5*3600))
		time.Sleep(3 * time.Millisecond)
		phase(1, "c")
		id3 := lastEventID(t, ctx, c)

		all, err := history.Find(ctx, c, nil)
		require.NoError(t, err)
		require.Len(t, all, int(id3))
		between := func(lo, hi int64) []int64 {
			var out []int64
			for _, id := range ids(all) {
				if id > lo && id <= hi {
					out = append(out, id)
				}
			}
			return out
		}

		got, err := history.Between(ctx, c, t1, t2, nil)
		require.NoError(t, err)
		require.Equal(t, between(id1, id2), ids(got))
		got, err = history.Between(ctx, c, time.Time{}, t1, nil)
		require.NoError(t, err)
		require.Equal(t, between(0, id1), ids(got))
		got, err = history.Between(ctx, c, t2, time.Time{}, nil)
		require.NoError(t, err)
		require.Equal(t, between(id2, id3), ids(got))
		got, err = history.Between(ctx, c, t1, time.Time{}, &history.Page{Desc: true, Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []int64{id3, id3 - 1}, ids(got))
		// Bounds are [since, before): an event's own time is in, before it is out.
		at := got[0].OccurredAt
		got, err = history.Between(ctx, c, at, at.Add(time.Microsecond), nil)
		require.NoError(t, err)
		require.Contains(t, ids(got), id3)
		got, err = history.Between(ctx, c, at.Add(-time.Hour), at, nil)
		require.NoError(t, err)
		require.NotContains(t, ids(got), id3)

		tags, err := history.ByEntity(ctx, c, "Tag", nil)
		require.NoError(t, err)
		require.Len(t, tags, 6)
		for _, ev := range tags {
			require.Equal(t, "Tag", ev.Entity)
		}
		tagsB, err := history.Find(ctx, c, &history.Query{Entity: "Tag", Since: t1, Before: t2})
		require.NoError(t, err)
		require.Equal(t, []string{"Tag/create", "Tag/create", "Tag/create"}, actions(tagsB))
		require.Equal(t, ids(tags[2:5]), ids(tagsB))
		upTo, err := history.Find(ctx, c, &history.Query{Entity: "Tag", UntilID: id2})
		require.NoError(t, err)
		require.Equal(t, ids(tags[:5]), ids(upTo))

		// All streams every matching event, capped by Limit.
		var streamed []int64
		for ev, err := range history.All(ctx, c, &history.Query{Entity: "Tag"}) {
			require.NoError(t, err)
			streamed = append(streamed, ev.ID.(int64))
			// The loop body may query: the page is read before it is yielded.
			_, err := history.Of(ctx, c, "Tag", ev.RecordID, nil)
			require.NoError(t, err)
		}
		require.Equal(t, ids(tags), streamed)
		streamed = nil
		for ev, err := range history.All(ctx, c, &history.Query{Entity: "Tag", Page: history.Page{Limit: 4, Desc: true}}) {
			require.NoError(t, err)
			streamed = append(streamed, ev.ID.(int64))
		}
		require.Equal(t, []int64{ids(tags)[5], ids(tags)[4], ids(tags)[3], ids(tags)[2]}, streamed)

		_, err = history.ByEntity(ctx, c, "", nil)
		require.ErrorIs(t, err, history.ErrInvalidQuery)
	})
}

func TestTransactionClient(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		u := c.User.Create().SetName("Jane").SetEmail("j@x").SaveX(ctx)

		tx, err := c.Tx(ctx)
		require.NoError(t, err)
		tx.User.UpdateOne(u).SetName("Janet").ExecX(ctx)
		evs, err := history.Of(ctx, tx.Client(), "User", u.ID, nil)
		require.NoError(t, err)
		require.Equal(t, []string{"User/create"}, actions(evs), "events are written at commit")
		st, err := history.Current(ctx, tx.Client(), "User", u.ID)
		require.NoError(t, err)
		require.Equal(t, "Jane", st.Fields["name"])
		require.NoError(t, tx.Commit())

		evs, err = history.Of(ctx, c, "User", u.ID, nil)
		require.NoError(t, err)
		require.Equal(t, []string{"User/create", "User/update"}, actions(evs))
	})
}

// insertEvent writes an event row directly, as an older version of the
// application (or a corruption) could have left it.
func insertEvent(t *testing.T, ctx context.Context, c *ent.Client, entity, recordID, actionType, data string) int64 {
	t.Helper()
	ev, err := c.Event.Create().SetEntity(entity).SetRecordID(recordID).SetAction(actionType).
		SetActionType(event.ActionType(actionType)).SetVersion(1).SetData(json.RawMessage(data)).
		SetChangedFields([]string{}).SetMetadata(json.RawMessage(`{"source":"import"}`)).
		SetOccurredAt(time.Now().UTC().Truncate(time.Microsecond)).Save(ctx)
	require.NoError(t, err)
	return ev.ID
}

func TestUnknownEntityAndBadData(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client

		// An entity the schema no longer has: raw data, stored record id.
		legacy := insertEvent(t, ctx, c, "Legacy", "L-7", "create", `{"fields":{"full_name":"Jane Doe"}}`)
		evs, err := history.Of(ctx, c, "Legacy", "L-7", nil)
		require.NoError(t, err)
		require.Len(t, evs, 1)
		require.Equal(t, legacy, evs[0].ID)
		require.Equal(t, "L-7", evs[0].RecordID)
		require.Nil(t, evs[0].Change)
		require.JSONEq(t, `{"fields":{"full_name":"Jane Doe"}}`, string(evs[0].Data))
		require.Equal(t, map[string]any{"source": "import"}, evs[0].Metadata)
		_, err = history.AsOf(ctx, c, "Legacy", "L-7", time.Now())
		require.ErrorIs(t, err, history.ErrUnknownEntity)

		// Data of a known entity that does not decode: the error names the event.
		u := c.User.Create().SetName("Jane").SetEmail("j@x").SaveX(ctx)
		bad := insertEvent(t, ctx, c, "User", strconv.Itoa(u.ID), "update", `{"fields":{"age":"old"}}`)
		_, err = history.Of(ctx, c, "User", u.ID, nil)
		var evErr *eventlog.EventError
		require.ErrorAs(t, err, &evErr)
		require.Equal(t, bad, evErr.EventID)
		require.Equal(t, "User", evErr.Entity)
		require.Equal(t, "age", evErr.Field)
		require.ErrorIs(t, err, eventlog.ErrDecode)
		require.Contains(t, err.Error(), "event "+strconv.FormatInt(bad, 10))
		_, err = history.AsOf(ctx, c, "User", u.ID, time.Now())
		require.ErrorAs(t, err, &evErr)
		require.Equal(t, bad, evErr.EventID)
		_, err = history.Diffs(ctx, c, "User", u.ID)
		require.ErrorAs(t, err, &evErr)
		// The state before the bad event still folds.
		st, err := history.AsOfEvent(ctx, c, "User", u.ID, bad-1)
		require.NoError(t, err)
		require.Equal(t, "Jane", st.Fields["name"])

		// Raw reads return it undecoded.
		raw, err := history.Find(ctx, c, &history.Query{Entity: "User", RecordID: u.ID, Raw: true})
		require.NoError(t, err)
		require.Len(t, raw, 2)
		require.Nil(t, raw[1].Change)
		require.Equal(t, u.ID, raw[1].RecordID)

		// A document that is not event data at all.
		insertEvent(t, ctx, c, "Tag", "1", "update", `{"what":1}`)
		_, err = history.ByEntity(ctx, c, "Tag", nil)
		require.ErrorIs(t, err, eventlog.ErrDecode)
		require.True(t, errors.As(err, &evErr))
	})
}
