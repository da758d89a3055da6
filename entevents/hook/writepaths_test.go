package hook_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/example/ent/post"
	"github.com/entevents/entevents/example/ent/tag"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

// requireTime asserts that got is the time want: the same instant, to the
// nanosecond, at the same zone offset.
func requireTime(t *testing.T, want time.Time, got any, msgAndArgs ...any) {
	t.Helper()
	g, ok := got.(time.Time)
	require.True(t, ok, "want a time.Time, got %T", got)
	require.True(t, want.Equal(g), "want %s, got %s", want, g)
	_, wo := want.Zone()
	_, gofs := g.Zone()
	require.Equal(t, wo, gofs, "zone offset of %s", g)
}

// requireFields asserts that set holds exactly want; time values are compared
// with requireTime.
func requireFields(t *testing.T, want, set map[string]any) {
	t.Helper()
	require.ElementsMatch(t, keys(want), keys(set), "field names")
	for k, w := range want {
		if wt, ok := w.(time.Time); ok {
			requireTime(t, wt, set[k], k)
			continue
		}
		require.Equal(t, w, set[k], "field %s", k)
	}
}

// storedTime returns the time a database of db's dialect keeps for v: PostgreSQL
// (pgx) truncates to microseconds; replay writes the recorded value the same way.
func storedTime(db *fixture.DB, v any) any {
	if tv, ok := v.(time.Time); ok && db.Dialect == dialect.Postgres {
		return tv.Truncate(time.Microsecond)
	}
	return v
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCreate(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		before := time.Now().UTC().Truncate(time.Microsecond)
		u, err := db.Client.User.Create().SetName("Jane").SetEmail("jane@example.com").SetAge(0).Save(ctx)
		require.NoError(t, err)
		after := time.Now().UTC()

		evs := events(t, ctx, db.Client)
		require.Len(t, evs, 1)
		ev := evs[0]
		requireEvent(t, ev, "User", u.ID, "create", event.ActionTypeCreate, 2)
		d := decode(t, ev)
		requireFields(t, map[string]any{
			"name": "Jane", "email": "jane@example.com", "age": 0, "role": user.RoleMember,
			"karma": int64(0), "quota": uint64(0), "score": 0.0,
			"create_time": u.CreateTime, "update_time": u.UpdateTime,
		}, d.Set)
		require.Empty(t, d.Cleared)
		require.Empty(t, d.Added)
		require.Empty(t, d.Edges)
		require.False(t, d.Upsert)
		require.Equal(t, []string{"age", "create_time", "email", "karma", "name", "quota", "role", "score", "update_time"}, ev.ChangedFields)
		requireJSON(t, `{}`, ev.Metadata)
		require.Nil(t, ev.UserID)
		require.Nil(t, ev.SystemActor)
		require.Zero(t, count(t, db, "events WHERE encrypted_data IS NOT NULL OR encrypted_metadata IS NOT NULL OR data IS NULL"))
		require.False(t, ev.OccurredAt.Before(before), "occurred_at %s before %s", ev.OccurredAt, before)
		require.False(t, ev.OccurredAt.After(after), "occurred_at %s after %s", ev.OccurredAt, after)
		require.Equal(t, 1, count(t, db, "users"))
	})
}

func TestCreateBulk(t *testing.T) {
	t.Parallel()
	names := []string{"ann", "bob", "cid", "dee", "eve"}
	fill := func(prefix string) func(b *ent.UserCreate, i int) {
		return func(b *ent.UserCreate, i int) {
			b.SetName(names[i]).SetEmail(prefix + names[i] + "@x").SetKarma(int64(i))
		}
	}
	cases := []struct {
		name string
		save func(ctx context.Context, c *ent.Client, prefix string) ([]*ent.User, error)
	}{
		{"CreateBulk", func(ctx context.Context, c *ent.Client, prefix string) ([]*ent.User, error) {
			bs := make([]*ent.UserCreate, len(names))
			for i := range names {
				bs[i] = c.User.Create()
				fill(prefix)(bs[i], i)
			}
			return c.User.CreateBulk(bs...).Save(ctx)
		}},
		{"MapCreateBulk", func(ctx context.Context, c *ent.Client, prefix string) ([]*ent.User, error) {
			return c.User.MapCreateBulk(names, fill(prefix)).Save(ctx)
		}},
		{"CallerTx", func(ctx context.Context, c *ent.Client, prefix string) ([]*ent.User, error) {
			tx, err := c.Tx(ctx)
			if err != nil {
				return nil, err
			}
			us, err := tx.User.MapCreateBulk(names, fill(prefix)).Save(ctx)
			if err != nil {
				_ = tx.Rollback()
				return nil, err
			}
			return us, tx.Commit()
		}},
	}
	// The cases share a database per dialect (creating databases is what costs).
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				base := count(t, db, "events")
				us, err := tc.save(ctx, db.Client, tc.name)
				require.NoError(t, err)
				require.Len(t, us, len(names))
				evs := events(t, ctx, db.Client)[base:]
				require.Len(t, evs, len(names), "one event per row")
				for i, ev := range evs {
					requireEvent(t, ev, "User", us[i].ID, "create", event.ActionTypeCreate, 2)
					d := decode(t, ev)
					require.Equal(t, names[i], d.Set["name"], "row order")
					require.Equal(t, tc.name+names[i]+"@x", d.Set["email"])
					require.Equal(t, int64(i), d.Set["karma"])
					requireTime(t, us[i].CreateTime, d.Set["create_time"])
				}
				require.Equal(t, base+len(names), count(t, db, "users"))
			})
		}
	})
}

func TestUpdateOne(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		update func(ctx context.Context, c *ent.Client, u *ent.User) (*ent.User, error)
	}{
		{"UpdateOne", func(ctx context.Context, c *ent.Client, u *ent.User) (*ent.User, error) {
			return c.User.UpdateOne(u).SetName("June").SetRole(user.RoleAdmin).Save(ctx)
		}},
		{"UpdateOneID", func(ctx context.Context, c *ent.Client, u *ent.User) (*ent.User, error) {
			return c.User.UpdateOneID(u.ID).SetName("June").SetRole(user.RoleAdmin).Save(ctx)
		}},
		{"UpdateOneWhere", func(ctx context.Context, c *ent.Client, u *ent.User) (*ent.User, error) {
			return c.User.UpdateOneID(u.ID).Where(user.NameEQ("Jane")).SetName("June").SetRole(user.RoleAdmin).Save(ctx)
		}},
	}
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				c := db.Client
				u := c.User.Create().SetName("Jane").SetEmail(tc.name + "j@x").SaveX(ctx)
				other := c.User.Create().SetName("Jane").SetEmail(tc.name + "jim@x").SaveX(ctx)
				base := count(t, db, "events")
				u2, err := tc.update(ctx, c, u)
				require.NoError(t, err)
				evs := events(t, ctx, c)[base:]
				require.Len(t, evs, 1)
				ev := evs[0]
				requireEvent(t, ev, "User", u.ID, "update", event.ActionTypeUpdate, 1)
				d := decode(t, ev)
				requireTime(t, u2.UpdateTime, storedTime(db, d.Set["update_time"]))
				d.Set["update_time"] = u2.UpdateTime
				requireFields(t, map[string]any{"name": "June", "role": user.RoleAdmin, "update_time": u2.UpdateTime}, d.Set)
				require.Equal(t, []string{"name", "role", "update_time"}, ev.ChangedFields)
				require.Equal(t, "June", c.User.GetX(ctx, u.ID).Name)
				require.Equal(t, "Jane", c.User.GetX(ctx, other.ID).Name)

				// A missed UpdateOne writes nothing.
				_, err = c.User.UpdateOneID(u.ID).Where(user.NameEQ("nobody")).SetName("x").Save(ctx)
				require.True(t, ent.IsNotFound(err), "%v", err)
				_, err = c.User.UpdateOneID(u.ID + 1000).SetName("x").Save(ctx)
				require.True(t, ent.IsNotFound(err), "%v", err)
				require.Equal(t, base+1, count(t, db, "events"))
			})
		}
	})
}

func TestUpdateMany(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		var us []*ent.User
		for i, age := range []int{1, 1, 2, 1, 3} {
			us = append(us, c.User.Create().SetName(fmt.Sprint("u", i)).SetEmail(fmt.Sprint(i, "@x")).SetAge(age).SetKarma(int64(10*i)).SaveX(ctx))
		}
		c.Post.Create().SetTitle("p").SetAuthor(us[4]).ExecX(ctx)
		base := len(events(t, ctx, c))

		// The rows no longer match the predicate after the update: their ids were
		// resolved before it.
		n, err := c.User.Update().Where(user.AgeEQ(1)).SetAge(9).AddKarma(5).Save(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		evs := events(t, ctx, c)[base:]
		require.Len(t, evs, 3, "one event per affected row")
		for i, want := range []*ent.User{us[0], us[1], us[3]} {
			requireEvent(t, evs[i], "User", want.ID, "update", event.ActionTypeUpdate, 1)
			d := decode(t, evs[i])
			require.Equal(t, 9, d.Set["age"])
			require.Contains(t, d.Set, "update_time")
			require.Equal(t, map[string]any{"karma": int64(5)}, d.Added)
			require.Equal(t, []string{"age", "karma", "update_time"}, evs[i].ChangedFields)
			got := c.User.GetX(ctx, want.ID)
			require.Equal(t, want.Karma+5, got.Karma, "previous value + recorded delta = stored value")
			require.Equal(t, 9, *got.Age)
		}
		require.Equal(t, 2, *c.User.GetX(ctx, us[2].ID).Age)

		// Predicates over edges.
		base += 3
		n, err = c.User.Update().Where(user.HasPosts()).SetName("author").Save(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		evs = events(t, ctx, c)[base:]
		require.Len(t, evs, 1)
		requireEvent(t, evs[0], "User", us[4].ID, "update", event.ActionTypeUpdate, 1)

		// No affected row: nothing written.
		base++
		n, err = c.User.Update().Where(user.NameEQ("nobody")).SetAge(1).Save(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Len(t, events(t, ctx, c), base)

		// An update that sets nothing executes no statement (ent reports 0 rows):
		// nothing is recorded either. Tag has no update-time default.
		c.Tag.Create().SetName("t").ExecX(ctx)
		base++
		for _, actx := range []context.Context{ctx, entevents.WithAction(ctx, "touch")} {
			n, err = c.Tag.Update().Save(actx)
			require.NoError(t, err)
			require.Zero(t, n)
		}
		require.Len(t, events(t, ctx, c), base)

		// The same holds for UpdateOne, which then only reads the row back.
		tg := c.Tag.Query().Where(tag.Name("t")).OnlyX(ctx)
		require.NoError(t, c.Tag.UpdateOne(tg).Exec(ctx))
		require.NoError(t, c.Tag.UpdateOneID(tg.ID).Exec(entevents.WithAction(ctx, "touch")))
		require.Len(t, events(t, ctx, c), base)
	})
}

func TestDelete(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		del     func(ctx context.Context, c *ent.Client, prefix string, ts []*ent.Tag) (int, error)
		deleted []int // indexes into the tags
	}{
		{"DeleteOne", func(ctx context.Context, c *ent.Client, _ string, ts []*ent.Tag) (int, error) {
			return 1, c.Tag.DeleteOne(ts[1]).Exec(ctx)
		}, []int{1}},
		{"DeleteOneID", func(ctx context.Context, c *ent.Client, _ string, ts []*ent.Tag) (int, error) {
			return 1, c.Tag.DeleteOneID(ts[2].ID).Exec(ctx)
		}, []int{2}},
		{"DeleteWhere", func(ctx context.Context, c *ent.Client, prefix string, ts []*ent.Tag) (int, error) {
			return c.Tag.Delete().Where(tag.NameIn(prefix+"a", prefix+"c", prefix+"d")).Exec(ctx)
		}, []int{0, 2, 3}},
		{"DeleteAllOfThem", func(ctx context.Context, c *ent.Client, prefix string, ts []*ent.Tag) (int, error) {
			return c.Tag.Delete().Where(tag.NameHasPrefix(prefix)).Exec(ctx)
		}, []int{0, 1, 2, 3}},
	}
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				c := db.Client
				prefix := tc.name + "-"
				ts := c.Tag.MapCreateBulk([]string{"a", "b", "c", "d"}, func(b *ent.TagCreate, i int) {
					b.SetName(prefix + string(rune('a'+i)))
				}).SaveX(ctx)
				base, tags := count(t, db, "events"), count(t, db, "tags")
				n, err := tc.del(ctx, c, prefix, ts)
				require.NoError(t, err)
				require.Equal(t, len(tc.deleted), n)
				evs := events(t, ctx, c)[base:]
				require.Len(t, evs, len(tc.deleted), "one event per deleted row")
				for i, idx := range tc.deleted {
					requireEvent(t, evs[i], "Tag", ts[idx].ID, "delete", event.ActionTypeDelete, 1)
					requireJSON(t, `{}`, evs[i].Data)
					require.Equal(t, []string{}, evs[i].ChangedFields)
					require.False(t, c.Tag.Query().Where(tag.ID(ts[idx].ID)).ExistX(ctx))
				}
				require.Equal(t, tags-len(tc.deleted), count(t, db, "tags"))

				// Deleting what is not there records nothing.
				err = c.Tag.DeleteOneID(ts[len(ts)-1].ID + 1000).Exec(ctx)
				require.True(t, ent.IsNotFound(err), "%v", err)
				_, err = c.Tag.Delete().Where(tag.NameEQ("nope")).Exec(ctx)
				require.NoError(t, err)
				require.Equal(t, base+len(tc.deleted), count(t, db, "events"))
			})
		}
	})
}

func TestUpsert(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client

		// Insert path (int id).
		id, err := c.Tag.Create().SetName("go").OnConflictColumns(tag.FieldName).UpdateNewValues().ID(ctx)
		require.NoError(t, err)
		// Conflict path.
		id2, err := c.Tag.Create().SetName("go").OnConflictColumns(tag.FieldName).UpdateNewValues().ID(ctx)
		require.NoError(t, err)
		require.Equal(t, id, id2)
		evs := events(t, ctx, c)
		require.Len(t, evs, 2)
		for _, ev := range evs {
			requireEvent(t, ev, "Tag", id, "upsert", event.ActionTypeCreate, 1)
			d := decode(t, ev)
			require.True(t, d.Upsert)
			require.Equal(t, map[string]any{"name": "go"}, d.Set)
			require.Equal(t, []string{"name"}, ev.ChangedFields)
		}

		// The event records the resulting row, not the values proposed.
		u := c.User.Create().SetName("Jane").SetEmail("j@x").SetKarma(10).SetAge(3).SetScore(1.5).SaveX(ctx)
		uid, err := c.User.Create().SetName("Other").SetEmail("j@x").SetKarma(1).
			OnConflictColumns(user.FieldEmail).
			Update(func(up *ent.UserUpsert) { up.AddKarma(5).ClearAge() }).
			ID(ctx)
		require.NoError(t, err)
		require.Equal(t, u.ID, uid)
		row := c.User.GetX(ctx, u.ID)
		require.Equal(t, int64(15), row.Karma)
		require.Nil(t, row.Age)
		evs = events(t, ctx, c)
		require.Len(t, evs, 4)
		ev := evs[3]
		requireEvent(t, ev, "User", u.ID, "upsert", event.ActionTypeCreate, 1)
		d := decode(t, ev)
		require.True(t, d.Upsert)
		requireFields(t, map[string]any{
			"name": "Jane", "email": "j@x", "role": user.RoleMember, "karma": int64(15), "quota": uint64(0), "score": 1.5,
			"create_time": row.CreateTime, "update_time": row.UpdateTime,
		}, d.Set)
		require.Subset(t, d.Cleared, []string{"age", "avatar", "settings", "last_seen_at"})
		require.NotContains(t, d.Set, "password_hash")

		// Insert path with a UUID id.
		p := c.Post.Create().SetTitle("t").SaveX(ctx)
		cid := uuid.New()
		require.NoError(t, c.Comment.Create().SetID(cid).SetBody("hi").SetPost(p).OnConflictColumns("id").UpdateNewValues().Exec(ctx))
		require.NoError(t, c.Comment.Create().SetID(cid).SetBody("edited").OnConflictColumns("id").UpdateNewValues().Exec(ctx))
		cevs := eventsOf(t, c, "Comment")
		require.Len(t, cevs, 2)
		for i, body := range []string{"hi", "edited"} {
			requireEvent(t, cevs[i], "Comment", cid, "upsert", event.ActionTypeCreate, 1)
			d := decode(t, cevs[i])
			require.True(t, d.Upsert)
			require.Equal(t, body, d.Set["body"])
		}
		require.Equal(t, []any{p.ID}, decode(t, cevs[0]).Edges["post"].Added)

		// Bulk upsert: one event per row, each with its resulting row.
		require.NoError(t, c.Tag.CreateBulk(c.Tag.Create().SetName("go"), c.Tag.Create().SetName("rust")).
			OnConflictColumns(tag.FieldName).UpdateNewValues().Exec(ctx))
		rust := c.Tag.Query().Where(tag.NameEQ("rust")).OnlyX(ctx)
		ts := []int{id, rust.ID}
		tevs := eventsOf(t, c, "Tag")
		require.Len(t, tevs, 4)
		for i, name := range []string{"go", "rust"} {
			requireEvent(t, tevs[2+i], "Tag", ts[i], "upsert", event.ActionTypeCreate, 1)
			d := decode(t, tevs[2+i])
			require.True(t, d.Upsert)
			require.Equal(t, map[string]any{"name": name}, d.Set)
		}

		// In a caller's transaction.
		tx, err := c.Tx(ctx)
		require.NoError(t, err)
		require.NoError(t, tx.Tag.Create().SetName("rust").OnConflictColumns(tag.FieldName).Ignore().Exec(ctx))
		require.NoError(t, tx.Commit())
		tevs = eventsOf(t, c, "Tag")
		require.Len(t, tevs, 5)
		requireEvent(t, tevs[4], "Tag", rust.ID, "upsert", event.ActionTypeCreate, 1)
		require.Equal(t, map[string]any{"name": "rust"}, decode(t, tevs[4]).Set)

		// DoNothing on a conflict: ent finds no row to return (as it does without
		// entevents) and fails; nothing is recorded.
		n := count(t, db, "events")
		require.Error(t, c.Tag.Create().SetName("go").OnConflictColumns(tag.FieldName).DoNothing().Exec(ctx))
		require.Equal(t, n, count(t, db, "events"))
	})
}

func TestClearFields(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		u := c.User.Create().SetName("Jane").SetEmail("j@x").SetAge(3).SetPasswordHash("secret").
			SetAvatar([]byte{1}).SetLastSeenAt(time.Now()).SaveX(ctx)
		u = c.User.UpdateOne(u).ClearAge().ClearAvatar().ClearSettings().ClearLastSeenAt().ClearPasswordHash().SaveX(ctx)
		evs := events(t, ctx, c)
		require.Len(t, evs, 2)
		d := decode(t, evs[1])
		require.ElementsMatch(t, []string{"age", "avatar", "settings", "last_seen_at", "password_hash"}, d.Cleared)
		require.Equal(t, []string{"update_time"}, keys(d.Set))
		requireTime(t, u.UpdateTime, storedTime(db, d.Set["update_time"]))
		require.Equal(t, []string{"age", "avatar", "last_seen_at", "password_hash", "settings", "update_time"}, evs[1].ChangedFields)
		got := c.User.GetX(ctx, u.ID)
		require.Nil(t, got.Age)
		require.Nil(t, got.LastSeenAt)

		// Clearing over many rows.
		p := c.Post.Create().SetTitle("t").SetPublishedAt(time.Now()).SetAttributes(map[string]any{"a": 1}).SaveX(ctx)
		c.Post.Update().Where(post.ID(p.ID)).ClearPublishedAt().ClearAttributes().ExecX(ctx)
		pevs := eventsOf(t, c, "Post")
		require.Len(t, pevs, 2)
		require.ElementsMatch(t, []string{"published_at", "attributes"}, decode(t, pevs[1]).Cleared)
	})
}

func TestAddFields(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		u := c.User.Create().SetName("Jane").SetEmail("j@x").SetAge(3).SetKarma(-7).SetQuota(10).SetScore(0.25).SaveX(ctx)
		u2 := c.User.UpdateOne(u).AddAge(2).AddKarma(5).AddQuota(-4).AddScore(0.5).SaveX(ctx)
		require.Equal(t, 5, *u2.Age)
		evs := events(t, ctx, c)
		require.Len(t, evs, 2)
		d := decode(t, evs[1])
		require.Equal(t, map[string]any{"age": 2, "karma": int64(5), "quota": int64(-4), "score": 0.5}, d.Added,
			"deltas decode to the types ent's AddField takes")
		require.Equal(t, []string{"age", "karma", "quota", "score", "update_time"}, evs[1].ChangedFields)

		// Replay hands the recorded deltas to AddField: they must have its types.
		m := c.User.UpdateOneID(u.ID).Mutation()
		for name, v := range d.Added {
			require.NoError(t, m.AddField(name, v), name)
		}
		// Value of the create event + recorded delta = stored value.
		created := decode(t, evs[0]).Set
		got := c.User.GetX(ctx, u.ID)
		require.Equal(t, created["age"].(int)+d.Added["age"].(int), *got.Age)
		require.Equal(t, created["karma"].(int64)+d.Added["karma"].(int64), got.Karma)
		require.Equal(t, created["quota"].(uint64)+uint64(d.Added["quota"].(int64)), got.Quota)
		require.Equal(t, created["score"].(float64)+d.Added["score"].(float64), got.Score)
		require.Equal(t, uint64(6), got.Quota)
	})
}

func TestCreateBulkOccurredAtNeverRunsBackwards(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		builders := make([]*ent.TagCreate, 20)
		for i := range builders {
			builders[i] = c.Tag.Create().SetName(fmt.Sprintf("bulk-%02d", i))
		}
		c.Tag.CreateBulk(builders...).SaveX(ctx)
		evs := events(t, ctx, c)
		require.Len(t, evs, 20)
		for i := 1; i < len(evs); i++ {
			require.False(t, evs[i].OccurredAt.Before(evs[i-1].OccurredAt), "event %d occurred before event %d", evs[i].ID, evs[i-1].ID)
		}
	})
}
