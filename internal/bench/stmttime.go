package bench

import (
	"context"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/example/ent"
)

// statementTimer is a driver that adds up the time its statements take, from
// sending them to their result (for a query, until its rows are read and
// closed is not included: the time to the first result is), in and out of
// transactions, BEGIN and COMMIT included.
type statementTimer struct {
	dialect.Driver
	total *atomic.Int64 // nanoseconds
}

func (d statementTimer) time(start time.Time) { d.total.Add(int64(time.Since(start))) }

func (d statementTimer) Exec(ctx context.Context, query string, args, v any) error {
	defer d.time(time.Now())
	return d.Driver.Exec(ctx, query, args, v)
}

func (d statementTimer) Query(ctx context.Context, query string, args, v any) error {
	defer d.time(time.Now())
	return d.Driver.Query(ctx, query, args, v)
}

func (d statementTimer) Tx(ctx context.Context) (dialect.Tx, error) {
	defer d.time(time.Now())
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return timedTx{Tx: tx, total: d.total}, nil
}

type timedTx struct {
	dialect.Tx
	total *atomic.Int64
}

func (t timedTx) time(start time.Time) { t.total.Add(int64(time.Since(start))) }

func (t timedTx) Exec(ctx context.Context, query string, args, v any) error {
	defer t.time(time.Now())
	return t.Tx.Exec(ctx, query, args, v)
}

func (t timedTx) Query(ctx context.Context, query string, args, v any) error {
	defer t.time(time.Now())
	return t.Tx.Query(ctx, query, args, v)
}

func (t timedTx) Commit() error {
	defer t.time(time.Now())
	return t.Tx.Commit()
}

// ReplayStatements replays db's log once into empty tables, as Replay does,
// and returns how long the replay took and how much of it was spent waiting for
// the database to answer its statements: the part of a replay that no work of
// entevents' own can remove.
func ReplayStatements(ctx context.Context, db *DB) (total, statements time.Duration, err error) {
	if err := Empty(ctx, db); err != nil {
		return 0, 0, err
	}
	var ns atomic.Int64
	c := ent.NewClient(ent.Driver(eventlog.WrapDriver(statementTimer{Driver: entsql.OpenDB(db.Dialect, db.SQL), total: &ns})))
	start := time.Now()
	if err := replay.Run(ctx, c); err != nil {
		return 0, 0, err
	}
	return time.Since(start), time.Duration(ns.Load()), nil
}
