package eventlog_test

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
	"github.com/entevents/entevents/internal/testdb"
)

// inTransaction reports whether db's only connection is inside a transaction
// block left open: a SAVEPOINT is refused outside one.
func inTransaction(t *testing.T, db *sql.DB) bool {
	t.Helper()
	if _, err := db.Exec(`SAVEPOINT entevents_probe`); err != nil {
		require.ErrorContains(t, err, "transaction block")
		return false
	}
	_, err := db.Exec(`RELEASE SAVEPOINT entevents_probe`)
	require.NoError(t, err)
	return true
}

// TestTransactionsEndOnTheirConnection: on PostgreSQL with the pgx driver the
// wrapped driver runs transactions on connections of its own, and a transaction
// with events is committed by the query that writes them. Every way a
// transaction ends leaves its connection back in the pool outside any
// transaction, its changes committed or not as they should be.
func TestTransactionsEndOnTheirConnection(t *testing.T) {
	t.Parallel()
	db := fixture.Open(t, dialect.Postgres)
	db.SQL.SetMaxOpenConns(1) // every statement below uses the connection the transactions used
	c := db.Client
	early := fixture.NewClientWith(db.Dialect, db.SQL, &entevents.DriverOptions{EarlyUnlock: true})
	ctx := context.Background()
	cases := []struct {
		name   string
		run    func(name string) error
		stored bool
	}{
		{"commit with events", func(name string) error {
			tx, err := c.Tx(ctx)
			require.NoError(t, err)
			tx.User.Create().SetName(name).SetEmail(name + "@x").ExecX(ctx)
			return tx.Commit()
		}, true},
		{"commit with many events", func(name string) error {
			tx, err := c.Tx(ctx)
			require.NoError(t, err)
			for i := range 3 {
				tx.User.Create().SetName(name).SetEmail(name + string(rune('a'+i)) + "@x").ExecX(ctx)
			}
			return tx.Commit()
		}, true},
		{"commit with events, lock released early", func(name string) error {
			tx, err := early.Tx(ctx)
			require.NoError(t, err)
			tx.User.Create().SetName(name).SetEmail(name + "@x").ExecX(ctx)
			return tx.Commit()
		}, true},
		{"commit with many events, lock released early", func(name string) error {
			tx, err := early.Tx(ctx)
			require.NoError(t, err)
			for i := range eventlog.MaxLiteral + 1 { // events bound as parameters
				tx.User.Create().SetName(name).SetEmail(fmt.Sprintf("%s%d@x", name, i)).ExecX(ctx)
			}
			return tx.Commit()
		}, true},
		{"mutation outside a transaction", func(name string) error {
			return c.User.Create().SetName(name).SetEmail(name + "@x").Exec(ctx)
		}, true},
		{"commit without events", func(name string) error {
			tx, err := c.Tx(entevents.WithAction(ctx, "import_legacy"))
			require.NoError(t, err)
			_, err = tx.User.Query().Count(ctx)
			require.NoError(t, err)
			return tx.Commit()
		}, false},
		{"rollback", func(name string) error {
			tx, err := c.Tx(ctx)
			require.NoError(t, err)
			tx.User.Create().SetName(name).SetEmail(name + "@x").ExecX(ctx)
			return tx.Rollback()
		}, false},
		{"failed commit", func(name string) error {
			tx, err := c.Tx(ctx)
			require.NoError(t, err)
			tx.User.Create().SetName(name).SetEmail(name + "@x").ExecX(ctx)
			// The email is unique: the second user fails, and so does the
			// transaction.
			require.Error(t, tx.User.Create().SetName(name).SetEmail(name+"@x").Exec(ctx))
			require.Error(t, tx.Commit())
			return nil
		}, false},
		{"failed commit without events", func(name string) error {
			// The action is not recorded: the transaction has no events.
			ctx := entevents.WithAction(ctx, "import_legacy")
			tx, err := c.Tx(ctx)
			require.NoError(t, err)
			tx.User.Create().SetName(name).SetEmail(name + "@x").ExecX(ctx)
			require.Error(t, tx.User.Create().SetName(name).SetEmail(name+"@x").Exec(ctx))
			require.Error(t, tx.Commit(), "a failed transaction does not commit")
			return nil
		}, false},
	}
	for _, tc := range cases {
		require.NoError(t, tc.run(tc.name), tc.name)
		require.False(t, inTransaction(t, db.SQL), "%s: the connection is left inside a transaction", tc.name)
		n := c.User.Query().Where(user.Name(tc.name)).CountX(ctx)
		if tc.stored {
			require.Positive(t, n, tc.name)
		} else {
			require.Zero(t, n, tc.name)
		}
	}
	tx, err := c.Tx(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Commit())
	require.ErrorIs(t, tx.Commit(), sql.ErrTxDone)
	require.ErrorIs(t, tx.Rollback(), sql.ErrTxDone)
}

// TestTransactionContextDone: as with database/sql, a transaction whose context
// is done is rolled back and its connection released.
func TestTransactionContextDone(t *testing.T) {
	t.Parallel()
	db := fixture.Open(t, dialect.Postgres)
	db.SQL.SetMaxOpenConns(1)
	c := db.Client
	ctx, cancel := context.WithCancel(context.Background())
	tx, err := c.Tx(ctx)
	require.NoError(t, err)
	tx.User.Create().SetName("cancelled").SetEmail("cancelled@x").ExecX(ctx)
	cancel()
	require.Eventually(t, func() bool { return db.SQL.Stats().InUse == 0 }, 5*time.Second, 10*time.Millisecond,
		"the connection is released")
	require.Error(t, tx.Commit())
	require.Zero(t, c.User.Query().Where(user.Name("cancelled")).CountX(context.Background()))
	require.False(t, inTransaction(t, db.SQL))
}

// TestBeginTxOptions: the isolation level and read-only mode of ent's BeginTx
// are those of the transaction.
func TestBeginTxOptions(t *testing.T) {
	t.Parallel()
	db := fixture.Open(t, dialect.Postgres)
	c := db.Client
	ctx := context.Background()
	levels := []struct {
		level sql.IsolationLevel
		want  string
	}{
		{sql.LevelDefault, "read committed"},
		{sql.LevelReadCommitted, "read committed"},
		{sql.LevelRepeatableRead, "repeatable read"},
		{sql.LevelSnapshot, "repeatable read"},
		{sql.LevelSerializable, "serializable"},
	}
	for _, l := range levels {
		tx, err := c.BeginTx(ctx, &sql.TxOptions{Isolation: l.level})
		require.NoError(t, err)
		rows := &entsql.Rows{}
		require.NoError(t, tx.Client().EnteventsDriver().Query(ctx, "SHOW transaction_isolation", []any{}, rows))
		var got string
		require.True(t, rows.Next())
		require.NoError(t, rows.Scan(&got))
		require.NoError(t, rows.Close())
		require.Equal(t, l.want, got, "isolation %v", l.level)
		tx.User.Create().SetName("iso").SetEmail(l.want + l.level.String() + "@x").ExecX(ctx)
		require.NoError(t, tx.Commit())
	}
	tx, err := c.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	require.NoError(t, err)
	require.ErrorContains(t, tx.User.Create().SetName("ro").SetEmail("ro@x").Exec(ctx), "read-only")
	require.NoError(t, tx.Rollback())
	_, err = c.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelLinearizable})
	require.ErrorContains(t, err, "isolation")
}

// TestCancelDuringCommit: once Commit has begun, the begin context being done
// does not roll the transaction back: Commit's result says what happened.
func TestCancelDuringCommit(t *testing.T) {
	t.Parallel()
	db := fixture.Open(t, dialect.Postgres)
	// Slow event inserts down, so that the context is cancelled while the
	// events are written and committed.
	_, err := db.SQL.Exec(`CREATE FUNCTION slow_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END $$;
CREATE TRIGGER slow_event BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION slow_event()`)
	require.NoError(t, err)
	c := db.Client
	ctx, cancel := context.WithCancel(context.Background())
	tx, err := c.Tx(ctx)
	require.NoError(t, err)
	tx.User.Create().SetName("slow").SetEmail("slow@x").ExecX(ctx)
	timer := time.AfterFunc(100*time.Millisecond, cancel)
	defer timer.Stop()
	err = tx.Commit()
	stored := c.User.Query().Where(user.Name("slow")).CountX(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, stored)
}

// TestCancelRightAfterBegin: a context done as the transaction begins rolls it
// back, without racing the transaction's own bookkeeping (go test -race).
func TestCancelRightAfterBegin(t *testing.T) {
	t.Parallel()
	db := fixture.Open(t, dialect.Postgres)
	for range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		tx, err := db.Client.Tx(ctx)
		cancel()
		if err != nil {
			continue
		}
		_ = tx.Rollback()
	}
	require.Eventually(t, func() bool { return db.SQL.Stats().InUse == 0 }, 5*time.Second, 10*time.Millisecond)
}

// queryLog is a pgx query tracer that records the queries sent to the server,
// below database/sql: it sees what a transaction on a connection of its own
// sends, which a driver wrapped under entevents does not.
type queryLog struct {
	mu      sync.Mutex
	queries []string
}

func (l *queryLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	l.queries = append(l.queries, data.SQL)
	l.mu.Unlock()
	return ctx
}

func (l *queryLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (l *queryLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queries
	l.queries = nil
	return q
}

// TestRoundTrips counts the queries a transaction sends on PostgreSQL with the
// pgx driver: a tracked create costs the queries of an untracked one (BEGIN,
// INSERT, and the INSERT of its events with the COMMIT), with the ordering lock
// released early too; more events than are written as literals take one query
// more, the COMMIT.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	cfg, err := pgx.ParseConfig(testdb.Postgres(t, fixture.Migrator()))
	require.NoError(t, err)
	log := &queryLog{}
	cfg.Tracer = log
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = db.Close() })
	early := "SET LOCAL synchronous_commit TO OFF; COMMIT; BEGIN; SELECT pg_logical_emit_message(true, 'entevents', ''); COMMIT"
	cases := []struct {
		name    string
		opts    *entevents.DriverOptions
		tracked bool
		events  int
		// last are the queries after BEGIN and the users' INSERT: one query;
		// or the prefix and suffix of the events' INSERT that commits; or
		// those of the events' INSERT and the query that commits.
		last []string
	}{
		{"untracked", nil, false, 1, []string{"SELECT 1; COMMIT"}},
		{"tracked", nil, true, 1, []string{`INSERT INTO "events"`, "; COMMIT"}},
		{"tracked, early unlock", &entevents.DriverOptions{EarlyUnlock: true}, true, 1,
			[]string{`INSERT INTO "events"`, "; " + early}},
		{"tracked, bound", nil, true, eventlog.MaxLiteral + 1,
			[]string{`INSERT INTO "events"`, ")", "SELECT 1; COMMIT"}},
		{"tracked, bound, early unlock", &entevents.DriverOptions{EarlyUnlock: true}, true, eventlog.MaxLiteral + 1,
			[]string{`INSERT INTO "events"`, ")", early}},
	}
	for i, tc := range cases {
		c := fixture.NewClientWith(dialect.Postgres, db, tc.opts)
		ctx := context.Background()
		if !tc.tracked {
			ctx = eventlog.WithReplaying(ctx)
		}
		name := fmt.Sprintf("rt%d", i)
		log.take()
		tx, err := c.Tx(ctx)
		require.NoError(t, err)
		bs := make([]*ent.UserCreate, tc.events)
		for j := range bs {
			bs[j] = tx.User.Create().SetName(name).SetEmail(fmt.Sprintf("%s-%d@x", name, j))
		}
		require.NoError(t, tx.User.CreateBulk(bs...).Exec(ctx))
		require.NoError(t, tx.Commit())
		queries := log.take()
		require.GreaterOrEqual(t, len(queries), 3, "%s: %q", tc.name, queries)
		require.Equal(t, "BEGIN", queries[0], tc.name)
		require.True(t, strings.HasPrefix(queries[1], `INSERT INTO "users"`), "%s: %.80s", tc.name, queries[1])
		rest := queries[2:]
		switch len(tc.last) {
		case 1: // one query
			require.Equal(t, tc.last, rest, tc.name)
		case 2: // the events' INSERT ending with the commit
			require.Len(t, rest, 1, "%s: %q", tc.name, rest)
			require.True(t, strings.HasPrefix(rest[0], tc.last[0]) && strings.HasSuffix(rest[0], tc.last[1]), "%s: %.120s", tc.name, rest[0])
		default: // the events' INSERT, then the commit
			require.Len(t, rest, 2, "%s: %q", tc.name, rest)
			require.True(t, strings.HasPrefix(rest[0], tc.last[0]) && strings.HasSuffix(rest[0], tc.last[1]), "%s: %.120s", tc.name, rest[0])
			require.Equal(t, tc.last[2], rest[1], tc.name)
		}
		want := 0
		if tc.tracked {
			want = tc.events
		}
		bg := context.Background()
		ids := c.User.Query().Where(user.Name(name)).IDsX(bg)
		require.Len(t, ids, tc.events, tc.name)
		rids := make([]string, len(ids))
		for j, id := range ids {
			rids[j] = strconv.Itoa(id)
		}
		require.Equal(t, want, c.Event.Query().Where(event.Entity("User"), event.RecordIDIn(rids...)).CountX(bg), tc.name)
	}
}
