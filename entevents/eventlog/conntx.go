package eventlog

import (
	"context"
	stdsql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// connTx is a PostgreSQL transaction run on a connection of its own, begun and
// ended with BEGIN, COMMIT and ROLLBACK statements. Unlike a database/sql Tx,
// which always sends a COMMIT of its own, it can be ended by a query that
// writes the transaction's events and commits (see writeEvents): a transaction
// with events then costs the round trips of one without. It is used with ent's
// SQL driver over the pgx and lib/pq database/sql drivers (Driver.ownsTx).
//
// As with a database/sql Tx, the transaction is rolled back and its connection
// released when the context it was begun with is done.
type connTx struct {
	entsql.Conn
	conn *stdsql.Conn

	mu   sync.Mutex
	stop func() bool // stops the rollback on the begin context
	done bool        // Commit or Rollback began, or the rollback on the begin context
}

var _ dialect.Tx = (*connTx)(nil)

// beginConn takes a connection of db and begins a transaction on it. As
// database/sql's BeginTx does, it tries other connections when the one it took
// turns out to be broken.
func beginConn(ctx context.Context, db *stdsql.DB, opts *stdsql.TxOptions) (*connTx, error) {
	begin, err := beginStatement(opts)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := conn.ExecContext(ctx, begin); err != nil {
			discard(conn)
			if errors.Is(err, driver.ErrBadConn) && attempt < 2 {
				continue
			}
			return nil, err
		}
		t := &connTx{Conn: entsql.Conn{ExecQuerier: conn}, conn: conn}
		t.mu.Lock()
		t.stop = context.AfterFunc(ctx, t.abandon)
		t.mu.Unlock()
		return t, nil
	}
}

// beginStatement returns the BEGIN of a transaction with opts, as the pgx
// database/sql driver begins it (LevelSnapshot is REPEATABLE READ).
func beginStatement(opts *stdsql.TxOptions) (string, error) {
	if opts == nil {
		return "BEGIN", nil
	}
	begin := "BEGIN"
	switch opts.Isolation {
	case stdsql.LevelDefault:
	case stdsql.LevelReadUncommitted:
		begin += " ISOLATION LEVEL READ UNCOMMITTED"
	case stdsql.LevelReadCommitted:
		begin += " ISOLATION LEVEL READ COMMITTED"
	case stdsql.LevelRepeatableRead, stdsql.LevelSnapshot:
		begin += " ISOLATION LEVEL REPEATABLE READ"
	case stdsql.LevelSerializable:
		begin += " ISOLATION LEVEL SERIALIZABLE"
	default:
		return "", fmt.Errorf("entevents: unsupported isolation level %v", opts.Isolation)
	}
	if opts.ReadOnly {
		begin += " READ ONLY"
	}
	return begin, nil
}

// Exec executes a statement in the transaction.
func (t *connTx) Exec(ctx context.Context, query string, args, v any) error {
	if t.ended() {
		return stdsql.ErrTxDone
	}
	return t.Conn.Exec(ctx, query, args, v)
}

// Query executes a query in the transaction.
func (t *connTx) Query(ctx context.Context, query string, args, v any) error {
	if t.ended() {
		return stdsql.ErrTxDone
	}
	return t.Conn.Query(ctx, query, args, v)
}

func (t *connTx) ended() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.done
}

// commitStatement commits the transaction, or fails if it is aborted: PostgreSQL
// answers a COMMIT of a failed transaction with a rollback and no error, while
// the SELECT is refused and the COMMIT then not run.
const commitStatement = "SELECT 1; COMMIT"

// Commit commits the transaction.
func (t *connTx) Commit() error {
	if err := t.claim(); err != nil {
		return err
	}
	return t.finish(commitStatement)
}

// Rollback rolls the transaction back.
func (t *connTx) Rollback() error {
	if err := t.claim(); err != nil {
		return err
	}
	return t.finish("ROLLBACK")
}

// claim marks the transaction as ending, so that the begin context being done
// no longer rolls it back (database/sql's Tx does the same). It fails if the
// transaction ended already or that rollback began.
func (t *connTx) claim() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done || !t.stop() {
		return stdsql.ErrTxDone
	}
	t.done = true
	return nil
}

// abandon rolls the transaction back when its begin context is done.
func (t *connTx) abandon() {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return
	}
	t.done = true
	t.mu.Unlock()
	_ = t.finish("ROLLBACK")
}

// release returns the connection of a claimed transaction that a query of the
// caller's ended to the pool.
func (t *connTx) release() error { return t.conn.Close() }

// finish ends a claimed transaction with stmt and releases the connection: to
// the pool when it is known to be outside a transaction, closed otherwise.
func (t *connTx) finish(stmt string) error {
	_, err := t.conn.ExecContext(context.Background(), stmt)
	if err == nil {
		return t.conn.Close()
	}
	if stmt != "ROLLBACK" {
		// A failed COMMIT (serialization failure, deferred constraint) ended
		// the transaction; a refused SELECT left it open and aborted.
		if _, rerr := t.conn.ExecContext(context.Background(), "ROLLBACK"); rerr == nil {
			_ = t.conn.Close()
			return err
		}
	}
	discard(t.conn)
	return err
}

// discard closes conn rather than returning it to the pool: it may be inside a
// transaction.
func discard(conn *stdsql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
