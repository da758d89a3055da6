package eventlog_test

import (
	"context"

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
