// Package watch shows the tests the statements an ent driver sends: Driver calls
// a function with each of them, and Log records them. Internal to the entevents
// tests.
package watch

import (
	"context"
	"database/sql"
	"sync"

	"entgo.io/ent/dialect"
)

// Driver calls See with every statement sent through it, in and out of
// transactions, and sends the statement See returns (the same one, or another
// to make the database fail). Tests put it under the entevents wrapper, where
// the database sees the statements.
type Driver struct {
	dialect.Driver
	See func(query string) string
}

var _ dialect.Driver = (*Driver)(nil)

// DB returns the database of the driver watched, as ent's SQL driver does: the
// entevents wrapper looks at it to decide how to commit.
func (d *Driver) DB() *sql.DB {
	if db, ok := d.Driver.(interface{ DB() *sql.DB }); ok {
		return db.DB()
	}
	return nil
}

// Exec executes a statement.
func (d *Driver) Exec(ctx context.Context, query string, args, v any) error {
	return d.Driver.Exec(ctx, d.See(query), args, v)
}

// Query executes a query.
func (d *Driver) Query(ctx context.Context, query string, args, v any) error {
	return d.Driver.Query(ctx, d.See(query), args, v)
}

// Tx begins a transaction whose statements are watched too.
func (d *Driver) Tx(ctx context.Context) (dialect.Tx, error) {
	t, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &tx{Tx: t, see: d.See}, nil
}

type tx struct {
	dialect.Tx
	see func(query string) string
}

func (t *tx) Exec(ctx context.Context, query string, args, v any) error {
	return t.Tx.Exec(ctx, t.see(query), args, v)
}

func (t *tx) Query(ctx context.Context, query string, args, v any) error {
	return t.Tx.Query(ctx, t.see(query), args, v)
}

// Log records statements: its Note is a Driver's See.
type Log struct {
	mu      sync.Mutex
	queries []string
}

// Note records query and returns it.
func (l *Log) Note(query string) string {
	l.mu.Lock()
	l.queries = append(l.queries, query)
	l.mu.Unlock()
	return query
}

// Take returns the statements recorded since the last call.
func (l *Log) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queries
	l.queries = nil
	return q
}
