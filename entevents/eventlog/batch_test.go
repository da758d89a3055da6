package eventlog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/comment"
	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
	"github.com/entevents/entevents/internal/watch"
)

type batchBundle struct {
	client  *ent.Client
	counter *watch.Log
	dialect string
}

func setupBatch(t *testing.T, dialectName string) *batchBundle {
	t.Helper()
	return setupBatchWith(t, dialectName, nil)
}

func setupBatchWith(t *testing.T, dialectName string, opts *eventlog.DriverOptions) *batchBundle {
	t.Helper()
	db := fixture.Open(t, dialectName)
	counter := &watch.Log{}
	drv := &watch.Driver{Driver: entsql.OpenDB(dialectName, db.SQL), See: counter.Note}
	return &batchBundle{client: ent.NewClient(ent.Driver(eventlog.WrapDriverWith(drv, opts))), counter: counter, dialect: dialectName}
}

// shape summarises statements by kind and table, e.g. "SELECT users", "INSERT events".
func shape(queries []string) []string {
	out := make([]string, len(queries))
	for i, q := range queries {
		f := strings.Fields(strings.NewReplacer(`"`, "", "`", "").Replace(q))
		table := ""
		for j, w := range f {
			if (w == "FROM" || w == "INTO" || w == "UPDATE") && j+1 < len(f) {
				table = f[j+1]
				break
			}
		}
		out[i] = f[0] + " " + table
	}
	return out
}

// TestStatementsDoNotGrowWithRows counts the statements of bulk writes over eventlog.MaxLiteral (8, written as literals) and
// 1,000 rows: the same statements run whatever the number of rows, and the events of
// a statement are written by one multi-row INSERT (on PostgreSQL that INSERT also
// takes the ordering lock: no separate round trip).
func TestStatementsDoNotGrowWithRows(t *testing.T) {
	t.Parallel()
	ops := []struct {
		name string
		want []string // statements of the operation, in order
		run  func(ctx context.Context, c *ent.Client, run string, n int) (int, error)
	}{
		{
			name: "CreateBulk",
			want: []string{"INSERT users", "INSERT events"},
			run: func(ctx context.Context, c *ent.Client, run string, n int) (int, error) {
				bs := make([]*ent.UserCreate, n)
				for i := range bs {
					bs[i] = c.User.Create().SetName(run).SetEmail(fmt.Sprintf("%s-%d@x", run, i))
				}
				users, err := c.User.CreateBulk(bs...).Save(ctx)
				return len(users), err
			},
		},
		{
			name: "UpdateWhere",
			want: []string{"SELECT users", "UPDATE users", "INSERT events"},
			run: func(ctx context.Context, c *ent.Client, run string, _ int) (int, error) {
				return c.User.Update().Where(user.NameEQ(run)).AddKarma(1).SetAge(3).Save(ctx)
			},
		},
		{
			name: "DeleteWhere",
			want: []string{"SELECT users", "DELETE users", "INSERT events"},
			run: func(ctx context.Context, c *ent.Client, run string, _ int) (int, error) {
				return c.User.Delete().Where(user.NameEQ(run)).Exec(ctx)
			},
		},
	}
	modes := []struct {
		dialect  string
		separate bool // DriverOptions.SeparateCommit
		early    bool // DriverOptions.EarlyUnlock
	}{
		{dialect.SQLite, false, false}, {dialect.Postgres, false, false}, {dialect.Postgres, true, false},
		{dialect.Postgres, false, true}, {dialect.Postgres, true, true},
	}
	// earlyStatements are the statements after the event INSERT that commit
	// with the lock released early, when they cannot be sent as one query.
	earlyStatements := []string{"SET LOCAL synchronous_commit TO OFF", "COMMIT", "BEGIN", "SELECT pg_logical_emit_message(true, 'entevents', '')"}
	for _, m := range modes {
		d := m.dialect
		name := d
		if m.separate {
			name += "/separate-commit"
		}
		if m.early {
			name += "/early-unlock"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setupBatchWith(t, d, &eventlog.DriverOptions{SeparateCommit: m.separate, EarlyUnlock: m.early})
			ctx := context.Background()
			for _, inTx := range []bool{false, true} {
				for _, n := range []int{eventlog.MaxLiteral, 1000} {
					literal := n <= eventlog.MaxLiteral // the events go in the COMMIT's query
					run := fmt.Sprintf("tx%v-n%d", inTx, n)
					for _, op := range ops {
						before := b.client.Event.Query().CountX(ctx)
						client, commit := b.client, func() error { return nil }
						if inTx {
							tx, err := b.client.Tx(ctx)
							require.NoError(t, err)
							client, commit = tx.Client(), tx.Commit
						}
						b.counter.Take()
						got, err := op.run(ctx, client, run, n)
						require.NoError(t, err)
						require.NoError(t, commit())
						queries := b.counter.Take()
						require.Equal(t, n, got, "%s %s rows", run, op.name)
						switch {
						case m.early && m.separate:
							require.Equal(t, earlyStatements, queries[len(queries)-len(earlyStatements):], "%s %s: the early commit", run, op.name)
							queries = queries[:len(queries)-len(earlyStatements)]
						case m.early && !literal:
							require.Equal(t, strings.Join(earlyStatements, "; "), queries[len(queries)-1], "%s %s: the early commit", run, op.name)
							queries = queries[:len(queries)-1]
						}
						require.Equal(t, op.want, shape(queries), "%s %s statements: %q", run, op.name, queries)
						require.Equal(t, before+n, b.client.Event.Query().CountX(ctx), "%s %s events", run, op.name)
						if d == dialect.Postgres {
							last := queries[len(queries)-1]
							require.Contains(t, last, "pg_advisory_xact_lock", "the event INSERT takes the lock")
							switch {
							case m.separate || !literal:
								require.NotContains(t, last, "COMMIT")
							case m.early:
								require.True(t, strings.HasSuffix(last, "; "+strings.Join(earlyStatements, "; ")),
									"events and the early commit in one query: %.200s", last)
							default:
								require.True(t, strings.HasSuffix(last, "; COMMIT; BEGIN"), "events and COMMIT in one query: %.200s", last)
							}
						}
					}
				}
			}
		})
	}
}

// TestLargeBatches writes more events than one statement can carry and updates more
// rows than a statement may have parameters: the events are split into chunks under
// the parameter limit, in order, and nothing else grows with the number of rows.
func TestLargeBatches(t *testing.T) {
	t.Parallel()
	const n = 40000
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := setupBatch(t, d)
			ctx := context.Background()
			bs := make([]*ent.UserCreate, 0, 1000)
			for i := range n {
				bs = append(bs, b.client.User.Create().SetName("u").SetEmail(fmt.Sprintf("u%d@x", i)))
				if len(bs) == cap(bs) {
					b.client.User.CreateBulk(bs...).ExecX(ctx)
					bs = bs[:0]
				}
			}
			b.counter.Take()
			got, err := b.client.User.Update().Where(user.NameEQ("u")).AddKarma(1).Save(ctx)
			require.NoError(t, err)
			require.Equal(t, n, got)
			queries := shape(b.counter.Take())
			per := 32766 / 14 // SQLite's parameter limit / (13 columns + id)
			if d == dialect.Postgres {
				per = 65534 / 14 // PostgreSQL's limit, less the lock key
			}
			chunks := (n + per - 1) / per
			want := []string{"SELECT users", "UPDATE users"}
			for range chunks {
				want = append(want, "INSERT events")
			}
			require.Equal(t, want, queries)
			evs := b.client.Event.Query().Where(event.Action("update")).Order(event.ByID()).Select(event.FieldRecordID).StringsX(ctx)
			require.Len(t, evs, n)
			for i, id := range evs {
				require.Equal(t, fmt.Sprint(i+1), id, "events are in row order")
			}
		})
	}
}

// TestBulkOverUUIDs runs Update().Where and Delete().Where over entities with UUID
// ids: the resolved ids are bound as one parameter whatever their type.
func TestBulkOverUUIDs(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		bs := make([]*ent.CommentCreate, 30)
		for i := range bs {
			bs[i] = c.Comment.Create().SetBody(fmt.Sprintf("b%d", i%3))
		}
		created := c.Comment.CreateBulk(bs...).SaveX(ctx)
		want := map[string]bool{}
		for _, cm := range created {
			if cm.Body == "b1" {
				want[cm.ID.String()] = true
			}
		}
		n, err := c.Comment.Update().Where(comment.Body("b1")).AddLikes(2).Save(ctx)
		require.NoError(t, err)
		require.Equal(t, 10, n)
		got := c.Event.Query().Where(event.Entity("Comment"), event.Action("update")).Select(event.FieldRecordID).StringsX(ctx)
		require.Len(t, got, 10)
		for _, id := range got {
			require.True(t, want[id], "event of comment %s", id)
		}
		require.Equal(t, 10, c.Comment.Query().Where(comment.Likes(2)).CountX(ctx))
		n, err = c.Comment.Delete().Where(comment.Body("b1")).Exec(ctx)
		require.NoError(t, err)
		require.Equal(t, 10, n)
		require.Equal(t, 20, c.Comment.Query().CountX(ctx))
		require.Equal(t, 10, c.Event.Query().Where(event.Entity("Comment"), event.Action("delete")).CountX(ctx))
	})
}

// TestEarlyUnlockBoundParameters commits a transaction with more events than are
// written as literals with the lock released early: the events are bound as
// parameters, and the early commit follows them as one query.
func TestEarlyUnlockBoundParameters(t *testing.T) {
	t.Parallel()
	const n = 1500 // more than the events written in the COMMIT's query
	b := setupBatchWith(t, dialect.Postgres, &eventlog.DriverOptions{EarlyUnlock: true})
	ctx := context.Background()
	bs := make([]*ent.UserCreate, n)
	for i := range bs {
		bs[i] = b.client.User.Create().SetName("early").SetEmail(fmt.Sprintf("early-%d@x", i))
	}
	b.counter.Take()
	b.client.User.CreateBulk(bs...).ExecX(ctx)
	queries := b.counter.Take()
	require.Equal(t, []string{"INSERT users", "INSERT events", "SET "}, shape(queries))
	require.Contains(t, queries[1], "pg_advisory_xact_lock", "the event INSERT takes the lock")
	require.Equal(t, "SET LOCAL synchronous_commit TO OFF; COMMIT; BEGIN; SELECT pg_logical_emit_message(true, 'entevents', '')", queries[2])
	require.Equal(t, n, b.client.Event.Query().Where(event.Entity("User")).CountX(ctx))
	require.Equal(t, n, b.client.User.Query().Where(user.Name("early")).CountX(ctx))
}
