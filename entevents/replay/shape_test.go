package replay_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/post"
	"github.com/entevents/entevents/example/ent/schema"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
	"github.com/entevents/entevents/internal/watch"
)

// statementLog records the statements sent (watch.Log) and can make the
// database refuse the UPDATE ... FROM VALUES statements.
type statementLog struct {
	watch.Log
	breakShapes bool
}

func (l *statementLog) note(query string) string {
	l.Note(query)
	if l.breakShapes && strings.Contains(query, " FROM (VALUES ") {
		return query + " AND"
	}
	return query
}

func (l *statementLog) take() []string { return l.Take() }

// watched returns a client on db whose statements log records.
func watched(db *fixture.DB, log *statementLog) *ent.Client {
	drv := &watch.Driver{Driver: entsql.OpenDB(db.Dialect, db.SQL), See: log.note}
	return ent.NewClient(ent.Driver(entevents.WrapDriver(drv)))
}

// updatesOf returns the UPDATE statements of table among queries.
func updatesOf(queries []string, table string) []string {
	var out []string
	for _, q := range queries {
		unquoted := strings.NewReplacer(`"`, "", "`", "").Replace(q)
		if strings.HasPrefix(unquoted, "UPDATE "+table+" ") {
			out = append(out, q)
		}
	}
	return out
}

// TestRunUpdateShapes replays runs of UpdateOne events that write the same
// columns with their own values: each run is applied with one UPDATE ... FROM
// VALUES per batch, and the tables are exactly as they were.
func TestRunUpdateShapes(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.Local)
	users := func(ctx context.Context, c *ent.Client, n int) []*ent.User {
		bs := make([]*ent.UserCreate, n)
		for i := range bs {
			bs[i] = c.User.Create().SetName(fmt.Sprintf("u%d", i)).SetEmail(uuid.NewString() + "@x")
			if i%2 == 0 {
				bs[i].SetAge(20 + i)
			}
		}
		return c.User.CreateBulk(bs...).SaveX(ctx)
	}
	posts := func(ctx context.Context, c *ent.Client, n int) []*ent.Post {
		bs := make([]*ent.PostCreate, n)
		for i := range bs {
			bs[i] = c.Post.Create().SetTitle(fmt.Sprintf("p%d", i))
		}
		return c.Post.CreateBulk(bs...).SaveX(ctx)
	}
	tests := []struct {
		name    string
		history func(t *testing.T, ctx context.Context, c *ent.Client)
		// limits holds the most UPDATE statements the replay may send to
		// each table the history updates.
		limits map[string]int
		// kinds, if set, holds a text of each UPDATE statement of a table.
		kinds map[string][]string
		// fallback allows a batch to be rolled back and applied event by
		// event.
		fallback bool
	}{
		{"Values", func(t *testing.T, ctx context.Context, c *ent.Client) {
			for i, u := range users(ctx, c, 40) {
				c.User.UpdateOne(u).SetName(fmt.Sprintf("renamed-%d", i)).SetScore(float64(i) / 3).ExecX(ctx)
			}
		}, map[string]int{"users": 1}, map[string][]string{"users": {" FROM (VALUES "}}, false},
		{"Clears", func(t *testing.T, ctx context.Context, c *ent.Client) {
			for i, u := range users(ctx, c, 20) {
				c.User.UpdateOne(u).ClearAge().ClearAvatar().SetName(fmt.Sprintf("cleared-%d", i)).ExecX(ctx)
			}
		}, map[string]int{"users": 1}, nil, false},
		{"Adds", func(t *testing.T, ctx context.Context, c *ent.Client) {
			// Half the users have no age: the delta is added to NULL.
			for i, u := range users(ctx, c, 20) {
				c.User.UpdateOne(u).AddAge(i - 5).AddKarma(int64(i) << 40).AddQuota(int64(i)).AddScore(0.25 * float64(i)).ExecX(ctx)
			}
		}, map[string]int{"users": 1}, nil, false},
		{"JSON", func(t *testing.T, ctx context.Context, c *ent.Client) {
			for i, u := range users(ctx, c, 10) {
				s := schema.Settings{Theme: fmt.Sprint("theme", i), Notifications: i%2 == 0}
				if i%3 == 0 {
					s.Languages = []string{"en", fmt.Sprint(i)}
				}
				c.User.UpdateOne(u).SetSettings(s).ExecX(ctx)
			}
			for i, p := range posts(ctx, c, 10) {
				attrs := map[string]any{"n": 9007199254740993 + i, "f": 1.5, "s": []any{"a", nil}, "i": i}
				if i == 3 {
					attrs = nil // JSON null, as sqlgraph writes it
				}
				c.Post.UpdateOne(p).SetAttributes(attrs).ExecX(ctx)
			}
		}, map[string]int{"users": 1, "posts": 1}, nil, false},
		{"TimesAndBytes", func(t *testing.T, ctx context.Context, c *ent.Client) {
			for i, u := range users(ctx, c, 10) {
				avatar := []byte{0, byte(i), 255}
				if i == 4 {
					avatar = []byte{} // not NULL
				}
				c.User.UpdateOne(u).SetLastSeenAt(at.Add(time.Duration(i) * time.Hour)).SetAvatar(avatar).SetRole(user.RoleAdmin).ExecX(ctx)
			}
			for i, p := range posts(ctx, c, 10) {
				c.Post.UpdateOne(p).SetPublishedAt(at.AddDate(0, 0, -i)).SetStatus(post.StatusPublished).ExecX(ctx)
			}
		}, map[string]int{"users": 1, "posts": 1}, nil, false},
		{"EdgeM2O", func(t *testing.T, ctx context.Context, c *ent.Client) {
			us := users(ctx, c, 5)
			ps := posts(ctx, c, 10)
			for i, p := range ps {
				c.Post.UpdateOne(p).SetAuthor(us[i%len(us)]).ExecX(ctx) // the edge field author_id
			}
			for i, p := range ps {
				u := c.Post.UpdateOne(p)
				if i%2 == 0 {
					u.ClearAuthor()
				} else {
					u.SetAuthorID(us[(i+1)%len(us)].ID)
				}
				u.ExecX(ctx)
			}
			// Comments have edges without fields: the foreign keys are set
			// and cleared through the edges.
			cs := make([]*ent.Comment, 8)
			for i := range cs {
				cs[i] = c.Comment.Create().SetBody(fmt.Sprint("c", i)).SetPost(ps[0]).SaveX(ctx)
			}
			for i, cm := range cs {
				c.Comment.UpdateOne(cm).SetPost(ps[i]).SetAuthor(us[i%len(us)]).AddLikes(i).ExecX(ctx)
			}
			for _, cm := range cs {
				c.Comment.UpdateOne(cm).ClearPost().ExecX(ctx)
			}
		}, map[string]int{"posts": 11, "comments": 2}, map[string][]string{"comments": {" FROM (VALUES ", " IN ("}}, false},
		{"EdgeO2OInverse", func(t *testing.T, ctx context.Context, c *ent.Client) {
			us := users(ctx, c, 6)
			prs := make([]*ent.Profile, len(us))
			for i := range prs {
				prs[i] = c.Profile.Create().SetBio(fmt.Sprint("b", i)).SaveX(ctx)
			}
			for i, pr := range prs {
				c.Profile.UpdateOne(pr).SetUser(us[len(us)-1-i]).SetWebsite(fmt.Sprint("https://", i)).ExecX(ctx)
			}
		}, map[string]int{"profiles": 1}, map[string][]string{"profiles": {" FROM (VALUES "}}, false},
		{"Mixed", func(t *testing.T, ctx context.Context, c *ent.Client) {
			us := users(ctx, c, 30)
			for i, u := range us[:10] {
				c.User.UpdateOne(u).SetName(fmt.Sprint("a", i)).AddKarma(1).ExecX(ctx)
			}
			// Identical updates, then more of the same shape.
			c.User.Update().Where(user.IDIn(us[10].ID, us[11].ID, us[12].ID)).SetName("same").AddKarma(1).ExecX(ctx)
			for i, u := range us[13:20] {
				c.User.UpdateOne(u).SetName(fmt.Sprint("b", i)).AddKarma(int64(i)).ExecX(ctx)
			}
			// A record updated twice in a row, creates in between.
			c.User.UpdateOne(us[0]).SetName("again").AddKarma(5).ExecX(ctx)
			c.User.UpdateOne(us[0]).SetName("and again").AddKarma(6).ExecX(ctx)
			users(ctx, c, 3)
			for i, u := range us[20:] {
				c.User.UpdateOne(u).SetName(fmt.Sprint("c", i)).AddKarma(int64(-i)).ExecX(ctx)
			}
			// Other shapes of the same entity.
			for i, u := range us[:5] {
				c.User.UpdateOne(u).SetName(fmt.Sprint("d", i)).ExecX(ctx)
			}
			c.User.DeleteOne(us[29]).ExecX(ctx)
		}, map[string]int{"users": 5}, nil, false},
		{"UUIDs", func(t *testing.T, ctx context.Context, c *ent.Client) {
			for i := range 10 {
				cm := c.Comment.Create().SetBody("c").SaveX(ctx)
				c.Comment.UpdateOne(cm).SetBody(fmt.Sprint("edited ", i)).ExecX(ctx)
			}
			cs := c.Comment.Query().AllX(ctx)
			for i, cm := range cs {
				c.Comment.UpdateOne(cm).SetBody(fmt.Sprint("again ", i)).AddLikes(i).ExecX(ctx)
			}
			c.Comment.Create().SetID(uuid.MustParse("00000000-0000-4000-8000-000000000001")).SetBody("d").SaveX(ctx)
		}, map[string]int{"comments": 1 + 10}, nil, false},
		{"LongIdenticalRun", func(t *testing.T, ctx context.Context, c *ent.Client) {
			// Between updates with their own values, a run of identical
			// updates long enough for a statement of its own.
			us := users(ctx, c, 60)
			for i, u := range us[:10] {
				c.User.UpdateOne(u).SetAge(i).AddKarma(1).ExecX(ctx)
			}
			ids := make([]int, 0, 40)
			for _, u := range us[10:50] {
				ids = append(ids, u.ID)
			}
			c.User.Update().Where(user.IDIn(ids...)).SetAge(7).AddKarma(1).ExecX(ctx)
			for i, u := range us[50:] {
				c.User.UpdateOne(u).SetAge(i).AddKarma(int64(i)).ExecX(ctx)
			}
		}, map[string]int{"users": 2}, map[string][]string{"users": {" IN (", " FROM (VALUES "}}, false},
		{"UniqueSwap", func(t *testing.T, ctx context.Context, c *ent.Client) {
			// Applied in order, every step is valid; applied together,
			// the second update could run first and meet the email the
			// first frees, and the batch would then be applied event by
			// event (neither database does so today: both check the
			// unique index row by row in the statement's order).
			us := users(ctx, c, 2)
			c.User.UpdateOne(us[0]).SetEmail("free@x").ExecX(ctx)
			c.User.UpdateOne(us[1]).SetEmail(us[0].Email).ExecX(ctx)
		}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fixture.Each(t, func(t *testing.T, db *fixture.DB) {
				b := setup(t, db)
				tt.history(t, b.ctx, b.client)
				log := &statementLog{}
				c := watched(db, log)
				before := b.dump(t)
				require.NoError(t, replay.Run(b.ctx, c, replay.PageSize(10000)))
				requireSameDump(t, before, b.dump(t))
				queries := log.take()
				shapes := 0
				for _, q := range queries {
					if strings.Contains(q, " FROM (VALUES ") {
						shapes++
					}
					if !tt.fallback {
						require.False(t, strings.HasPrefix(q, "ROLLBACK TO SAVEPOINT"), "a batch was applied event by event")
					}
				}
				require.Positive(t, shapes, "updates applied with UPDATE ... FROM (VALUES ...)")
				for table, most := range tt.limits {
					updates := updatesOf(queries, table)
					require.LessOrEqual(t, len(updates), most, "UPDATE %s statements:\n%s", table, strings.Join(updates, "\n"))
					if kinds := tt.kinds[table]; kinds != nil {
						require.Len(t, updates, len(kinds))
						for i, k := range kinds {
							require.Contains(t, updates[i], k)
						}
					}
				}
				// Replaying over the rebuilt tables gives the same state.
				b.replayAndCompare(t)
			})
		})
	}
}

// TestRunUpdateShapesStatements counts the statements of replays of 10 and
// 1,000 UpdateOne events with their own values: they are the same.
func TestRunUpdateShapesStatements(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		b := setup(t, db)
		log := &statementLog{}
		c := watched(db, log)
		var counts []int
		for _, n := range []int{10, 1000} {
			_, err := db.SQL.Exec(`DELETE FROM events`)
			require.NoError(t, err)
			require.NoError(t, replay.Run(b.ctx, c)) // empty the tables
			bs := make([]*ent.UserCreate, n)
			for i := range bs {
				bs[i] = b.client.User.Create().SetName(fmt.Sprint("u", i)).SetEmail(fmt.Sprintf("%d-%d@x", n, i))
			}
			us := b.client.User.CreateBulk(bs...).SaveX(b.ctx)
			for i, u := range us {
				b.client.User.UpdateOne(u).SetName(fmt.Sprint("renamed ", i)).SetScore(float64(i)).ExecX(b.ctx)
			}
			before := b.dump(t)
			log.take()
			require.NoError(t, replay.Run(b.ctx, c, replay.PageSize(5000)))
			queries := log.take()
			requireSameDump(t, before, b.dump(t))
			require.Len(t, updatesOf(queries, "users"), 1, "%q", queries)
			counts = append(counts, len(queries))
		}
		require.Equal(t, counts[0], counts[1], "statements of a replay of 10 and 1,000 updates")
	})
}

// TestRunUpdateShapesFallback replays updates of one shape when the database
// refuses their batch: they are applied one by one, under the savepoint the
// batch rolled back to.
func TestRunUpdateShapesFallback(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		b := setup(t, db)
		var us []*ent.User
		for i := range 20 {
			us = append(us, b.client.User.Create().SetName(fmt.Sprint("u", i)).SetEmail(fmt.Sprint(i, "@x")).SaveX(b.ctx))
		}
		for i, u := range us {
			b.client.User.UpdateOne(u).SetName(fmt.Sprint("renamed ", i)).AddKarma(int64(i)).ExecX(b.ctx)
		}
		before := b.dump(t)
		log := &statementLog{breakShapes: true}
		require.NoError(t, replay.Run(b.ctx, watched(db, log)))
		requireSameDump(t, before, b.dump(t))
		updates := updatesOf(log.take(), "users")
		require.Len(t, updates, 1+len(us), "the batch, then every update on its own")
		require.Contains(t, updates[0], " FROM (VALUES ")
	})
}

// TestRunUpdateShapesMissingRecord replays a batch of updates of one shape where
// one record was deleted before its update: the error names that event.
func TestRunUpdateShapesMissingRecord(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		b := setup(t, db)
		c := b.client
		var us []*ent.User
		for i := range 5 {
			us = append(us, c.User.Create().SetName(fmt.Sprint("u", i)).SetEmail(fmt.Sprint(i, "@x")).SaveX(b.ctx))
		}
		c.User.DeleteOne(us[2]).ExecX(b.ctx)
		c.User.UpdateOne(us[0]).SetName("a").AddKarma(1).ExecX(b.ctx)
		c.User.UpdateOne(us[1]).SetName("b").AddKarma(2).ExecX(b.ctx)
		// An update of the deleted record, as a corrupt log could hold.
		bad := b.insertEvent(t, map[string]any{
			"record_id": fmt.Sprint(us[2].ID), "action": "update", "action_type": "update",
			"data": `{"fields":{"name":"c","update_time":"2024-01-01T00:00:00Z"},"added":{"karma":3}}`,
		})
		c.User.UpdateOne(us[3]).SetName("d").AddKarma(4).ExecX(b.ctx)
		c.User.UpdateOne(us[4]).SetName("e").AddKarma(5).ExecX(b.ctx)
		before := b.dump(t)
		log := &statementLog{}
		err := replay.Run(b.ctx, watched(db, log))
		updates := updatesOf(log.take(), "users")
		require.NotEmpty(t, updates)
		require.Contains(t, updates[0], "VALUES", "the updates are tried as one batch first")
		require.ErrorIs(t, err, replay.ErrRecordNotFound)
		var ee *entevents.EventError
		require.ErrorAs(t, err, &ee)
		require.Equal(t, bad, ee.EventID)
		require.Equal(t, "User", ee.Entity)
		require.Equal(t, "update", ee.Action)
		requireSameDump(t, before, b.dump(t), "a failed replay changes nothing")
	})
}
