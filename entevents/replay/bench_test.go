package replay_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/post"
	"github.com/entevents/entevents/internal/fixture"
	"github.com/entevents/entevents/internal/testdb"
)

// benchHistory records about n events: users and posts created in bulk (posts
// with an author and tags), per-record updates, bulk updates and deletes.
func benchHistory(tb testing.TB, ctx context.Context, c *ent.Client, n int) {
	tb.Helper()
	const chunk = 250
	tags := c.Tag.CreateBulk(c.Tag.Create().SetName("a"), c.Tag.Create().SetName("b"), c.Tag.Create().SetName("c")).SaveX(ctx)
	users := n / 8
	for i := 0; i < users; i += chunk {
		bs := make([]*ent.UserCreate, min(chunk, users-i))
		for j := range bs {
			bs[j] = c.User.Create().SetName("user").SetEmail(fmt.Sprintf("u%d@x", i+j)).SetAge(i % 90).SetKarma(int64(i))
		}
		c.User.CreateBulk(bs...).ExecX(ctx)
	}
	posts := n / 2
	for i := 0; i < posts; i += chunk {
		bs := make([]*ent.PostCreate, min(chunk, posts-i))
		for j := range bs {
			bs[j] = c.Post.Create().SetTitle("post").SetViews(i + j).SetAuthorID(1 + (i+j)%users).AddTags(tags[(i+j)%3])
		}
		c.Post.CreateBulk(bs...).ExecX(ctx)
	}
	tx, err := c.Tx(ctx)
	require.NoError(tb, err)
	for id := 1; id <= n/8; id++ {
		tx.Post.UpdateOneID(id).AddViews(1).SetStatus(post.StatusPublished).ExecX(ctx)
	}
	require.NoError(tb, tx.Commit())
	c.Post.Update().Where(post.ViewsLT(posts / 4)).SetBody("bulk").ExecX(ctx)
	c.Post.Delete().Where(post.ViewsGT(posts - posts/8)).ExecX(ctx)
}

// BenchmarkRun measures replay: events/s, the ratio of its time to inserting
// the same final rows directly (multi-row INSERTs in one transaction), and the
// most heap the replay holds live between pages, for a log and one ten times
// longer.
func BenchmarkRun(b *testing.B) {
	for _, d := range testdb.Dialects {
		for _, n := range []int{2000, 20000} {
			b.Run(fmt.Sprintf("%s/events=%d", d, n), func(b *testing.B) {
				db := fixture.Open(b, d)
				ctx := context.Background()
				benchHistory(b, ctx, db.Client, n)
				bb := &testBundle{ctx: ctx, db: db, client: db.Client}
				events := bb.eventCount(b)
				want := bb.dump(b)
				// The heap still in use after each page, garbage collected: it
				// must not grow with the log.
				var peak uint64
				sample := func(replay.Progress) {
					var ms runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc)
				}
				runtime.GC()
				var base runtime.MemStats
				runtime.ReadMemStats(&base)
				require.NoError(b, replay.Run(ctx, db.Client, replay.OnProgress(sample)))
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					require.NoError(b, replay.Run(ctx, db.Client))
				}
				elapsed := time.Since(start)
				b.StopTimer()
				requireSameDump(b, want, bb.dump(b))
				direct := insertDirectly(b, db)
				requireSameDump(b, want, bb.dump(b))
				perRun := elapsed / time.Duration(b.N)
				b.ReportMetric(float64(events)/perRun.Seconds(), "events/s")
				b.ReportMetric(perRun.Seconds()/direct.Seconds(), "x-direct")
				b.ReportMetric(float64(peak-min(peak, base.HeapAlloc))/(1<<20), "live-heap-MB")
			})
		}
	}
}

// insertDirectly clears the tracked tables and inserts back their rows with
// multi-row INSERTs in one transaction, and returns the time it took.
func insertDirectly(b *testing.B, db *fixture.DB) time.Duration {
	b.Helper()
	tables := replay.ClearOrder(ent.Entevents())
	type tableRows struct {
		cols []string
		rows [][]any
	}
	data := make(map[string]*tableRows)
	for _, table := range tables {
		rows, err := db.SQL.Query(`SELECT * FROM "` + table + `"`)
		require.NoError(b, err)
		tr := &tableRows{}
		tr.cols, err = rows.Columns()
		require.NoError(b, err)
		for rows.Next() {
			vals := make([]any, len(tr.cols))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(b, rows.Scan(ptrs...))
			tr.rows = append(tr.rows, vals)
		}
		require.NoError(b, rows.Err())
		data[table] = tr
	}
	start := time.Now()
	tx, err := db.SQL.Begin()
	require.NoError(b, err)
	for _, table := range tables {
		_, err := tx.Exec(`DELETE FROM "` + table + `"`)
		require.NoError(b, err)
	}
	for i := len(tables) - 1; i >= 0; i-- {
		tr := data[tables[i]]
		per := 30000 / len(tr.cols)
		for start := 0; start < len(tr.rows); start += per {
			ins := entsql.Dialect(db.Dialect).Insert(tables[i]).Columns(tr.cols...)
			for _, r := range tr.rows[start:min(start+per, len(tr.rows))] {
				ins.Values(r...)
			}
			query, args := ins.Query()
			_, err := tx.Exec(query, args...)
			require.NoError(b, err, strings.SplitN(query, "VALUES", 2)[0])
		}
	}
	require.NoError(b, tx.Commit())
	return time.Since(start)
}
