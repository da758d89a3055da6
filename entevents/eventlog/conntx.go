package eventlog

import (
	"context"
	stdsql "database/sql"
	"database/sql/driver"
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
	stop func() bool // stops the rollback on the begin context

	mu   sync.Mutex
	done bool
}

var _ dialect.Tx = (*connTx)(nil)

// beginConn takes a connection of db and begins a transaction on it.
func beginConn(ctx context.Context, db *stdsql.DB, opts *stdsql.TxOptions) (*connTx, error) {
	begin, err := beginStatement(opts)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		discard(conn)
		return nil, err
	}
	t := &connTx{Conn: entsql.Conn{ExecQuerier: conn}, conn: conn}
	t.stop = context.AfterFunc(ctx, func() { _ = t.end("ROLLBACK") })
	return t, nil
}

// beginStatement returns the BEGIN of a transaction with opts, as the pgx
// database/sql driver begins it.
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

// Commit commits the transaction.
func (t *connTx) Commit() error { return t.end("COMMIT") }

// Rollback rolls the transaction back.
func (t *connTx) Rollback() error { return t.end("ROLLBACK") }

// end sends stmt (COMMIT or ROLLBACK; "" when a query of the caller's ended
// the transaction already) and releases the connection: to the pool once the
// transaction is ended, closed if it may not be.
func (t *connTx) end(stmt string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return stdsql.ErrTxDone
	}
	t.done = true
	t.stop()
	var err error
	if stmt != "" {
		_, err = t.conn.ExecContext(context.Background(), stmt)
	}
	if err != nil {
		discard(t.conn)
		return err
	}
	return t.conn.Close()
}

// discard closes conn rather than returning it to the pool: it may be inside a
// transaction.
func discard(conn *stdsql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
