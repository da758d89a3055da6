package hook_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/example/ent/tag"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

func TestActionAndVersion(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		// User: Versions{"create": 2}; other actions are at version 1.
		u := c.User.Create().SetName("a").SetEmail("a@x").SaveX(ctx)
		reg := c.User.Create().SetName("b").SetEmail("b@x").SaveX(entevents.WithAction(ctx, "register"))
		c.User.UpdateOne(u).SetName("a2").ExecX(ctx)
		c.User.UpdateOne(u).SetName("a3").ExecX(entevents.WithAction(ctx, "rename"))
		c.User.Update().Where(user.ID(reg.ID)).SetAge(1).ExecX(entevents.WithAction(ctx, "set_age"))
		c.User.DeleteOne(reg).ExecX(entevents.WithAction(ctx, "unregister"))
		p := c.Post.Create().SetTitle("t").SaveX(ctx)

		evs := events(t, ctx, c)
		require.Len(t, evs, 7)
		requireEvent(t, evs[0], "User", u.ID, "create", event.ActionTypeCreate, 2)
		requireEvent(t, evs[1], "User", reg.ID, "register", event.ActionTypeCreate, 1)
		requireEvent(t, evs[2], "User", u.ID, "update", event.ActionTypeUpdate, 1)
		requireEvent(t, evs[3], "User", u.ID, "rename", event.ActionTypeUpdate, 1)
		requireEvent(t, evs[4], "User", reg.ID, "set_age", event.ActionTypeUpdate, 1)
		requireEvent(t, evs[5], "User", reg.ID, "unregister", event.ActionTypeDelete, 1)
		requireEvent(t, evs[6], "Post", p.ID, "create", event.ActionTypeCreate, 1)
		require.Equal(t, "b", decode(t, evs[1]).Set["name"], "a named action records the same data")
	})
}

func TestIgnoredAction(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		legacy := entevents.WithAction(ctx, "import_legacy")
		// User ignores import_legacy: executed, not recorded.
		u := c.User.Create().SetName("old").SetEmail("o@x").SaveX(legacy)
		c.User.UpdateOne(u).SetAge(3).ExecX(legacy)
		c.User.Update().Where(user.ID(u.ID)).AddKarma(1).ExecX(legacy)
		require.Equal(t, 1, count(t, db, "users"))
		require.Equal(t, 3, *c.User.GetX(ctx, u.ID).Age)
		require.Equal(t, int64(1), c.User.GetX(ctx, u.ID).Karma)
		require.Zero(t, count(t, db, "events"))

		// Other entities do not ignore it.
		p := c.Post.Create().SetTitle("t").SaveX(legacy)
		evs := events(t, ctx, c)
		require.Len(t, evs, 1)
		requireEvent(t, evs[0], "Post", p.ID, "import_legacy", event.ActionTypeCreate, 1)

		c.User.DeleteOne(u).ExecX(legacy)
		require.Zero(t, count(t, db, "users"))
		require.Equal(t, 1, count(t, db, "events"))
	})
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		c.Tag.Create().SetName("none").ExecX(ctx)
		mctx := entevents.WithMetadata(ctx, map[string]any{
			"request_id": "r-1", "n": 9007199254740993, "nested": map[string]any{"ok": true, "list": []string{"a"}},
		})
		c.Tag.Create().SetName("meta").ExecX(mctx)
		c.Tag.Update().Where(tag.NameEQ("none")).SetName("none2").ExecX(entevents.WithMetadata(ctx, map[string]any{}))
		// Later calls replace earlier ones.
		c.Tag.Delete().ExecX(entevents.WithMetadata(mctx, map[string]any{"why": "cleanup"}))

		evs := events(t, ctx, c)
		require.Len(t, evs, 5)
		requireJSON(t, `{}`, evs[0].Metadata)
		requireJSON(t, `{"request_id":"r-1","n":9007199254740993,"nested":{"ok":true,"list":["a"]}}`, evs[1].Metadata)
		require.Contains(t, string(evs[1].Metadata), "9007199254740993", "integers beyond 2^53 are kept")
		requireJSON(t, `{}`, evs[2].Metadata)
		requireJSON(t, `{"why":"cleanup"}`, evs[3].Metadata)
		requireJSON(t, `{"why":"cleanup"}`, evs[4].Metadata)
	})
}

func TestActors(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		admin := c.User.Create().SetName("admin").SetEmail("admin@x").SaveX(ctx)

		c.Tag.Create().SetName("by-user").ExecX(entevents.WithActor(ctx, admin))
		c.Tag.Create().SetName("by-job").ExecX(entevents.WithActor(ctx, entevents.System("nightly-job")))
		// A later actor replaces an earlier one.
		c.Tag.Create().SetName("by-job-then-user").ExecX(entevents.WithActor(entevents.WithActor(ctx, entevents.System("x")), admin))
		// A nil *ent.User records no actor.
		c.Tag.Create().SetName("anonymous").ExecX(entevents.WithActor(ctx, (*ent.User)(nil)))

		evs := events(t, ctx, c)
		require.Len(t, evs, 5)
		require.Nil(t, evs[0].UserID)
		require.Nil(t, evs[0].SystemActor)
		require.NotNil(t, evs[1].UserID)
		require.Equal(t, int64(admin.ID), *evs[1].UserID)
		require.Nil(t, evs[1].SystemActor)
		require.Nil(t, evs[2].UserID)
		require.NotNil(t, evs[2].SystemActor)
		require.Equal(t, "nightly-job", *evs[2].SystemActor)
		require.Equal(t, int64(admin.ID), *evs[3].UserID)
		require.Nil(t, evs[3].SystemActor)
		require.Nil(t, evs[4].UserID)
		require.Nil(t, evs[4].SystemActor)

		// Readers can find them by actor.
		require.Equal(t, 2, c.Event.Query().Where(event.UserID(int64(admin.ID))).CountX(ctx))
		require.Equal(t, 1, c.Event.Query().Where(event.SystemActor("nightly-job")).CountX(ctx))

		// An actor no column accepts is an error; nothing is written.
		tg := c.Tag.Query().FirstX(ctx)
		for _, actor := range []any{"alice", 42, admin.ID, tg, *admin, struct{}{}} {
			_, err := c.Tag.Create().SetName("bad").Save(entevents.WithActor(ctx, actor))
			require.ErrorIs(t, err, entevents.ErrUnknownActor, "actor %T", actor)
			var me *entevents.MutationError
			require.ErrorAs(t, err, &me)
			require.Equal(t, "Tag", me.Entity)
			require.Equal(t, "create", me.Action)
			require.Contains(t, err.Error(), fmt.Sprintf("%T", actor))

			err = c.Tag.UpdateOne(tg).SetName("bad").Exec(entevents.WithActor(ctx, actor))
			require.ErrorIs(t, err, entevents.ErrUnknownActor)
			_, err = c.Tag.Delete().Exec(entevents.WithActor(ctx, actor))
			require.ErrorIs(t, err, entevents.ErrUnknownActor)
		}
		require.False(t, c.Tag.Query().Where(tag.NameEQ("bad")).ExistX(ctx))
		require.Equal(t, 4, count(t, db, "tags"))
		require.Equal(t, 5, count(t, db, "events"))
	})
}

// TestDefaultsAndHooks: the event holds the mutation as executed, with defaults,
// update defaults and the changes of other hooks.
func TestDefaultsAndHooks(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		c.User.Use(func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				um := m.(*ent.UserMutation)
				if name, ok := um.Name(); ok {
					um.SetName(strings.ToUpper(name))
				}
				if m.Op().Is(ent.OpCreate) {
					um.SetKarma(42)
				}
				return next.Mutate(ctx, m)
			})
		})
		u := c.User.Create().SetName("jane").SetEmail("j@x").SaveX(ctx)
		require.Equal(t, "JANE", u.Name)
		u2 := c.User.UpdateOne(u).SetName("june").SaveX(ctx)

		evs := events(t, ctx, c)
		require.Len(t, evs, 2)
		d := decode(t, evs[0])
		requireFields(t, map[string]any{
			"name": "JANE", "email": "j@x", "karma": int64(42),
			// Defaults.
			"role": user.RoleMember, "quota": uint64(0), "score": 0.0,
			"create_time": u.CreateTime, "update_time": u.UpdateTime,
		}, d.Set)
		d = decode(t, evs[1])
		require.Equal(t, "JUNE", d.Set["name"])
		// The update default.
		requireTime(t, u2.UpdateTime, storedTime(db, d.Set["update_time"]))
		require.True(t, u2.UpdateTime.After(u.UpdateTime))
	})
}

// TestCallerTx: inside client.Tx the events join the caller's transaction.
func TestCallerTx(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client

		tx, err := c.Tx(ctx)
		require.NoError(t, err)
		u := tx.User.Create().SetName("a").SetEmail("a@x").SaveX(ctx)
		tg := tx.Tag.Create().SetName("t").SaveX(ctx)
		p := tx.Post.Create().SetTitle("p").SetAuthor(u).AddTags(tg).SaveX(ctx)
		tx.User.Update().Where(user.ID(u.ID)).AddKarma(2).ExecX(ctx)
		tx.Tag.DeleteOne(tg).ExecX(ctx)
		require.NoError(t, tx.Commit())

		evs := events(t, ctx, c)
		require.Len(t, evs, 5)
		requireEvent(t, evs[0], "User", u.ID, "create", event.ActionTypeCreate, 2)
		requireEvent(t, evs[1], "Tag", tg.ID, "create", event.ActionTypeCreate, 1)
		requireEvent(t, evs[2], "Post", p.ID, "create", event.ActionTypeCreate, 1)
		requireEvent(t, evs[3], "User", u.ID, "update", event.ActionTypeUpdate, 1)
		requireEvent(t, evs[4], "Tag", tg.ID, "delete", event.ActionTypeDelete, 1)

		// Rolled back: neither rows nor events.
		tx, err = c.Tx(ctx)
		require.NoError(t, err)
		tx.User.Create().SetName("b").SetEmail("b@x").ExecX(ctx)
		tx.User.Update().Where(user.ID(u.ID)).SetName("renamed").ExecX(ctx)
		require.NoError(t, tx.Rollback())
		require.Equal(t, 1, count(t, db, "users"))
		require.Equal(t, "a", c.User.GetX(ctx, u.ID).Name)
		require.Len(t, events(t, ctx, c), 5)

		// BeginTx goes through the wrapped driver too.
		tx, err = c.BeginTx(ctx, nil)
		require.NoError(t, err)
		tx.User.UpdateOneID(u.ID).SetName("b").ExecX(ctx)
		require.NoError(t, tx.Commit())
		evs = events(t, ctx, c)
		require.Len(t, evs, 6)
		requireEvent(t, evs[5], "User", u.ID, "update", event.ActionTypeUpdate, 1)
	})
}

// TestHookCreatedMutations: tracked mutations made by hooks of other mutations
// are recorded, in order, atomically with the caller's transaction when there is one.
func TestHookCreatedMutations(t *testing.T) {
	t.Parallel()
	for _, inTx := range []bool{false, true} {
		t.Run(map[bool]string{false: "NoTx", true: "CallerTx"}[inTx], func(t *testing.T) {
			t.Parallel()
			fixture.Each(t, func(t *testing.T, db *fixture.DB) {
				ctx := context.Background()
				c := db.Client
				// Every new user gets a profile, and the author of a new post gains karma.
				c.User.Use(func(next ent.Mutator) ent.Mutator {
					return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
						v, err := next.Mutate(ctx, m)
						if err != nil || !m.Op().Is(ent.OpCreate) {
							return v, err
						}
						u := v.(*ent.User)
						_, err = m.(*ent.UserMutation).Client().Profile.Create().SetBio("hi " + u.Name).SetUser(u).Save(ctx)
						return v, err
					})
				})
				c.Post.Use(func(next ent.Mutator) ent.Mutator {
					return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
						v, err := next.Mutate(ctx, m)
						if err != nil || !m.Op().Is(ent.OpCreate) {
							return v, err
						}
						if aid, ok := m.(*ent.PostMutation).AuthorID(); ok {
							err = m.(*ent.PostMutation).Client().User.UpdateOneID(aid).AddKarma(1).Exec(ctx)
						}
						return v, err
					})
				})
				cl, commit := c, func() error { return nil }
				if inTx {
					tx, err := c.Tx(ctx)
					require.NoError(t, err)
					cl, commit = tx.Client(), tx.Commit
				}
				u := cl.User.Create().SetName("a").SetEmail("a@x").SaveX(ctx)
				p := cl.Post.Create().SetTitle("t").SetAuthor(u).SaveX(ctx)
				require.NoError(t, commit())

				evs := events(t, ctx, c)
				require.Len(t, evs, 4)
				pr := c.User.QueryProfile(u).OnlyX(ctx)
				requireEvent(t, evs[0], "User", u.ID, "create", event.ActionTypeCreate, 2)
				requireEvent(t, evs[1], "Profile", pr.ID, "create", event.ActionTypeCreate, 1)
				require.Equal(t, edgeOp{Added: []any{u.ID}}, decode(t, evs[1]).Edges["user"])
				requireEvent(t, evs[2], "Post", p.ID, "create", event.ActionTypeCreate, 1)
				requireEvent(t, evs[3], "User", u.ID, "update", event.ActionTypeUpdate, 1)
				require.Equal(t, map[string]any{"karma": int64(1)}, decode(t, evs[3]).Added)
				require.Equal(t, int64(1), c.User.GetX(ctx, u.ID).Karma)
			})
		})
	}
}
