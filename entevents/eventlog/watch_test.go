package eventlog_test

import (
	"context"
	"database/sql"

	"entgo.io/ent/dialect"
)

// watchDriver calls see with every statement sent through it, in and out of
// transactions. Tests put it under the entevents wrapper, where the database sees
// the statements.
type watchDriver struct {
	dialect.Driver
	see func(query string)
}

var _ dialect.Driver = (*watchDriver)(nil)

// DB returns the database of the driver watched, as ent's SQL driver does: the
// entevents wrapper looks at it to decide how to commit.
func (d *watchDriver) DB() *sql.DB {
	if db, ok := d.Driver.(interface{ DB() *sql.DB }); ok {
		return db.DB()
	}
	return nil
}

func (d *watchDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.see(query)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *watchDriver) Query(ctx context.Context, query string, args, v any) error {
	d.see(query)
	return d.Driver.Query(ctx, query, args, v)
}

func (d *watchDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &watchTx{Tx: tx, see: d.see}, nil
}

type watchTx struct {
	dialect.Tx
	see func(query string)
}

func (t *watchTx) Exec(ctx context.Context, query string, args, v any) error {
	t.see(query)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *watchTx) Query(ctx context.Context, query string, args, v any) error {
	t.see(query)
	return t.Tx.Query(ctx, query, args, v)
}
