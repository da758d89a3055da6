package eventlog_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
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
