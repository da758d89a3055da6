package hook_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/post"
	"github.com/entevents/entevents/example/ent/tag"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

// tables are the tables of the example schema, events included.
var tables = []string{"users", "profiles", "posts", "tags", "comments", "post_tags", "events"}

// snapshot dumps every row of every table, as text, in primary key order.
func snapshot(t *testing.T, db *fixture.DB) map[string][]string {
	t.Helper()
	out := make(map[string][]string, len(tables))
	for _, table := range tables {
		rows, err := db.SQL.Query(fmt.Sprintf("SELECT * FROM %s ORDER BY 1, 2", table))
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			var b strings.Builder
			for i, v := range vals {
				fmt.Fprintf(&b, "%s=%q ", cols[i], v)
			}
			out[table] = append(out[table], b.String())
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
	}
	return out
}

// failEventInserts makes the database reject the insert of any event of entity
// and action, until the test ends or healEventInserts: a trigger on SQLite, a
// CHECK constraint on PostgreSQL.
func failEventInserts(t *testing.T, db *fixture.DB, entity, action string) {
	t.Helper()
	var stmt string
	switch db.Dialect {
	case dialect.SQLite:
		stmt = fmt.Sprintf(`CREATE TRIGGER inject_failure BEFORE INSERT ON events
			WHEN NEW.entity = '%s' AND NEW.action = '%s'
			BEGIN SELECT RAISE(ABORT, 'injected event failure'); END`, entity, action)
	case dialect.Postgres:
		stmt = fmt.Sprintf(`ALTER TABLE events ADD CONSTRAINT inject_failure CHECK (NOT (entity = '%s' AND action = '%s')) NOT VALID`, entity, action)
	}
	_, err := db.SQL.Exec(stmt)
	require.NoError(t, err)
	t.Cleanup(func() { healEventInserts(t, db) })
}

// healEventInserts removes the fault of failEventInserts.
func healEventInserts(t *testing.T, db *fixture.DB) {
	t.Helper()
	_, err := db.SQL.Exec(map[string]string{
		dialect.SQLite:   "DROP TRIGGER IF EXISTS inject_failure",
		dialect.Postgres: "ALTER TABLE events DROP CONSTRAINT IF EXISTS inject_failure",
	}[db.Dialect])
	require.NoError(t, err)
}

// seed writes a small history whose names start with prefix: two users, two tags,
// a post with both tags.
func seed(t *testing.T, c *ent.Client, prefix string) {
	t.Helper()
	ctx := context.Background()
	u := c.User.Create().SetName(prefix + "ann").SetEmail(prefix + "ann@x").SetKarma(1).SetAge(3).SaveX(ctx)
	c.User.Create().SetName(prefix + "bob").SetEmail(prefix + "bob@x").SetKarma(2).ExecX(ctx)
	ts := c.Tag.MapCreateBulk([]string{"go", "sql"}, func(b *ent.TagCreate, i int) {
		b.SetName(prefix + []string{"go", "sql"}[i])
	}).SaveX(ctx)
	c.Post.Create().SetTitle(prefix + "hello").SetAuthor(u).AddTags(ts...).ExecX(ctx)
}

// writeCase is one tracked write, over the rows seed wrote with prefix.
type writeCase struct {
	name           string
	entity, action string // its event
	write          func(ctx context.Context, c *ent.Client, prefix string) error
}

var faultCases = []writeCase{
	{"Create", "Tag", "create", func(ctx context.Context, c *ent.Client, prefix string) error {
		return c.Tag.Create().SetName(prefix + "new").Exec(ctx)
	}},
	{"CreateWithEdges", "Post", "create", func(ctx context.Context, c *ent.Client, prefix string) error {
		return c.Post.Create().SetTitle(prefix + "p2").AddTagIDs(c.Tag.Query().Where(tag.NameHasPrefix(prefix)).IDsX(ctx)...).Exec(ctx)
	}},
	{"CreateBulk", "Tag", "create", func(ctx context.Context, c *ent.Client, prefix string) error {
		return c.Tag.CreateBulk(c.Tag.Create().SetName(prefix+"a"), c.Tag.Create().SetName(prefix+"b"), c.Tag.Create().SetName(prefix+"c")).Exec(ctx)
	}},
	{"UpdateOne", "User", "update", func(ctx context.Context, c *ent.Client, prefix string) error {
		return c.User.Update().Where(user.NameEQ(prefix + "ann")).SetName(prefix + "ann2").Exec(ctx)
	}},
	{"UpdateMany", "User", "update", func(ctx context.Context, c *ent.Client, prefix string) error {
		return c.User.Update().Where(user.NameHasPrefix(prefix)).AddKarma(10).ClearAge().Exec(ctx)
	}},
	{"UpdateEdges", "Post", "update", func(ctx context.Context, c *ent.Client, prefix string) error {
		return c.Post.Update().Where(post.TitleHasPrefix(prefix)).ClearTags().Exec(ctx)
	}},
	{"DeleteOne", "Tag", "delete", func(ctx context.Context, c *ent.Client, prefix string) error {
		return c.Tag.DeleteOneID(c.Tag.Query().Where(tag.NameHasPrefix(prefix)).FirstIDX(ctx)).Exec(ctx)
	}},
	{"DeleteMany", "Post", "delete", func(ctx context.Context, c *ent.Client, prefix string) error {
		_, err := c.Post.Delete().Where(post.TitleHasPrefix(prefix), post.HasTags()).Exec(ctx)
		return err
	}},
	{"Upsert", "Tag", "upsert", func(ctx context.Context, c *ent.Client, prefix string) error {
		return c.Tag.Create().SetName(prefix + "go").OnConflictColumns(tag.FieldName).UpdateNewValues().Exec(ctx)
	}},
	{"NamedAction", "User", "register", func(ctx context.Context, c *ent.Client, prefix string) error {
		return c.User.Create().SetName(prefix + "cid").SetEmail(prefix + "cid@x").Exec(entevents.WithAction(ctx, "register"))
	}},
}

// TestEventWriteFailure: when the event insert fails, the mutation fails and the
// database is left as it was, with or without a caller transaction.
func TestEventWriteFailure(t *testing.T) {
	t.Parallel()
	// The cases share a database per dialect (creating databases is what costs);
	// each takes its own snapshot.
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		for _, tc := range faultCases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				c := db.Client
				prefix := tc.name + "-"
				seed(t, c, prefix)
				failEventInserts(t, db, tc.entity, tc.action)
				before := snapshot(t, db)

				// Without a transaction: the mutation's own transaction rolls back.
				err := tc.write(ctx, c, prefix)
				require.Error(t, err)
				require.Contains(t, err.Error(), "events")
				require.Equal(t, before, snapshot(t, db))

				// In a caller's transaction, with an earlier successful mutation: the
				// write succeeds (its event is buffered), Commit fails and rolls back all.
				tx, err := c.Tx(ctx)
				require.NoError(t, err)
				tx.Profile.Create().SetBio("unrelated").ExecX(ctx)
				require.NoError(t, tc.write(ctx, tx.Client(), prefix))
				require.Error(t, tx.Commit())
				require.Equal(t, before, snapshot(t, db))

				if db.Dialect == dialect.Postgres {
					// The same with the ordering lock released early: the events'
					// INSERT fails before the COMMIT it is sent with.
					early := fixture.NewClientWith(db.Dialect, db.SQL, &entevents.DriverOptions{EarlyUnlock: true})
					require.Error(t, tc.write(ctx, early, prefix))
					require.Equal(t, before, snapshot(t, db))
					tx, err := early.Tx(ctx)
					require.NoError(t, err)
					require.NoError(t, tc.write(ctx, tx.Client(), prefix))
					require.Error(t, tx.Commit())
					require.Equal(t, before, snapshot(t, db))
				}

				// The failure was the event's: without the fault the same write succeeds.
				healEventInserts(t, db)
				require.NoError(t, tc.write(ctx, c, prefix))
				require.Greater(t, len(snapshot(t, db)["events"]), len(before["events"]))
			})
		}
	})
}

// TestEventBuildFailure: a value the codec cannot represent is found after the
// row was written; the mutation's own transaction rolls back, and a caller's
// transaction can no longer commit (ErrTxAborted).
func TestEventBuildFailure(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		action string
		write  func(ctx context.Context, c *ent.Client) error
	}{
		{"Create", "create", func(ctx context.Context, c *ent.Client) error {
			return c.User.Create().SetName("inf").SetEmail("inf@x").SetScore(math.Inf(1)).Exec(ctx)
		}},
		{"CreateBulk", "create", func(ctx context.Context, c *ent.Client) error {
			return c.User.CreateBulk(
				c.User.Create().SetName("x").SetEmail("x@x"),
				c.User.Create().SetName("inf").SetEmail("inf@x").SetScore(math.Inf(-1)),
			).Exec(ctx)
		}},
		{"UpdateMany", "update", func(ctx context.Context, c *ent.Client) error {
			return c.User.Update().SetScore(math.Inf(1)).Exec(ctx)
		}},
		{"AddX", "reward", func(ctx context.Context, c *ent.Client) error {
			return c.User.Update().Where(user.NameEQ("ann")).AddScore(math.Inf(1)).Exec(entevents.WithAction(ctx, "reward"))
		}},
	}
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		seed(t, db.Client, "")
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				c := db.Client
				before := snapshot(t, db)

				requireScoreError := func(err error) {
					t.Helper()
					require.ErrorIs(t, err, entevents.ErrEncode)
					var me *entevents.MutationError
					require.ErrorAs(t, err, &me)
					require.Equal(t, "User", me.Entity)
					require.Equal(t, tc.action, me.Action)
					require.Equal(t, "score", me.Field)
					require.Contains(t, err.Error(), `"score"`)
				}
				requireScoreError(tc.write(ctx, c))
				require.Equal(t, before, snapshot(t, db))

				tx, err := c.Tx(ctx)
				require.NoError(t, err)
				tx.Tag.Create().SetName("in-tx").ExecX(ctx)
				requireScoreError(tc.write(ctx, tx.Client()))
				err = tx.Commit()
				require.ErrorIs(t, err, entevents.ErrTxAborted)
				require.ErrorIs(t, err, entevents.ErrEncode, "the cause is kept")
				require.Equal(t, before, snapshot(t, db))
			})
		}
	})
}

// TestRejectedBeforeWriting: bad actors and metadata are found before anything is
// written; inside a caller's transaction the other work can still commit.
func TestRejectedBeforeWriting(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		ctx     func(context.Context) context.Context
		is      error
		message string
	}{
		{"UnknownActor", func(ctx context.Context) context.Context {
			return entevents.WithActor(ctx, "alice")
		}, entevents.ErrUnknownActor, "string"},
		{"ActorOfAnotherEntity", func(ctx context.Context) context.Context {
			return entevents.WithActor(ctx, &ent.Tag{ID: 1})
		}, entevents.ErrUnknownActor, "*ent.Tag"},
		{"MetadataChannel", func(ctx context.Context) context.Context {
			return entevents.WithMetadata(ctx, map[string]any{"ok": 1, "ch": make(chan int)})
		}, entevents.ErrEncode, `"ch"`},
		{"MetadataFunc", func(ctx context.Context) context.Context {
			return entevents.WithMetadata(ctx, map[string]any{"nested": map[string]any{"f": func() {}}})
		}, entevents.ErrEncode, `"nested"`},
		{"MetadataNaN", func(ctx context.Context) context.Context {
			return entevents.WithMetadata(ctx, map[string]any{"ratio": math.NaN()})
		}, entevents.ErrEncode, `"ratio"`},
	}
	writes := []struct {
		name, entity, action string
		write                func(ctx context.Context, c *ent.Client) error
	}{
		{"Create", "Tag", "create", func(ctx context.Context, c *ent.Client) error {
			return c.Tag.Create().SetName("new").Exec(ctx)
		}},
		{"CreateBulk", "Tag", "create", func(ctx context.Context, c *ent.Client) error {
			return c.Tag.CreateBulk(c.Tag.Create().SetName("a"), c.Tag.Create().SetName("b")).Exec(ctx)
		}},
		{"UpdateMany", "User", "update", func(ctx context.Context, c *ent.Client) error {
			return c.User.Update().AddKarma(1).Exec(ctx)
		}},
		{"DeleteMany", "Post", "purge", func(ctx context.Context, c *ent.Client) error {
			_, err := c.Post.Delete().Exec(entevents.WithAction(ctx, "purge"))
			return err
		}},
		{"Upsert", "Tag", "create", func(ctx context.Context, c *ent.Client) error {
			return c.Tag.Create().SetName("go").OnConflictColumns(tag.FieldName).UpdateNewValues().Exec(ctx)
		}},
	}
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		seed(t, db.Client, "")
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := db.Client
				before := snapshot(t, db)
				for _, w := range writes {
					ctx := tc.ctx(context.Background())
					err := w.write(ctx, c)
					require.ErrorIs(t, err, tc.is, w.name)
					var me *entevents.MutationError
					require.ErrorAs(t, err, &me, w.name)
					require.Equal(t, w.entity, me.Entity, w.name)
					require.Equal(t, w.action, me.Action, w.name)
					require.Contains(t, err.Error(), tc.message, w.name)
					require.Equal(t, before, snapshot(t, db), w.name)
				}

				// In a caller's transaction the rejected mutation wrote nothing, so the
				// transaction's other work commits.
				ctx := context.Background()
				tx, err := c.Tx(ctx)
				require.NoError(t, err)
				tx.Tag.Create().SetName("ok-" + tc.name).ExecX(ctx)
				require.ErrorIs(t, tx.Tag.Create().SetName("bad").Exec(tc.ctx(ctx)), tc.is)
				require.NoError(t, tx.Commit())
				after := snapshot(t, db)
				require.Len(t, after["tags"], len(before["tags"])+1)
				require.Len(t, after["events"], len(before["events"])+1)
				require.False(t, c.Tag.Query().Where(tag.NameEQ("bad")).ExistX(ctx))
			})
		}
	})
}

// TestUnwrappedDriver: a client whose driver was not wrapped refuses tracked
// writes before writing anything.
func TestUnwrappedDriver(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		seed(t, db.Client, "")
		before := snapshot(t, db)
		quiet := ent.Log(func(...any) {})
		raw := ent.NewClient(ent.Driver(entsql.OpenDB(db.Dialect, db.SQL)), quiet)
		for _, w := range faultCases {
			err := w.write(ctx, raw, "")
			require.ErrorIs(t, err, entevents.ErrDriverNotWrapped, w.name)
			require.Contains(t, err.Error(), "WrapDriver")
			require.Equal(t, before, snapshot(t, db), w.name)
		}
		// Debug logging over a raw driver does not hide it.
		require.ErrorIs(t, raw.Debug().Tag.Create().SetName("d").Exec(ctx), entevents.ErrDriverNotWrapped)

		tx, err := raw.Tx(ctx)
		require.NoError(t, err)
		require.ErrorIs(t, tx.Tag.Create().SetName("t").Exec(ctx), entevents.ErrDriverNotWrapped)
		require.ErrorIs(t, tx.User.Update().SetName("x").Exec(ctx), entevents.ErrDriverNotWrapped)
		require.NoError(t, tx.Commit())
		require.Equal(t, before, snapshot(t, db))

		// Untracked entities (the Event log itself) and reads still work.
		require.Equal(t, len(before["users"]), raw.User.Query().CountX(ctx))

		// A wrapped driver under ent's debug logger works.
		require.NoError(t, fixture.NewClient(db.Dialect, db.SQL, quiet).Debug().Tag.Create().SetName("dbg").Exec(ctx))
		require.Len(t, snapshot(t, db)["events"], len(before["events"])+1)
	})
}
