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

// timer adds up the time statements take, from sending them to their result
// (for a query: to its first rows, not to reading them all).
type timer struct{ total *atomic.Int64 } // nanoseconds

func (t timer) since(start time.Time) { t.total.Add(int64(time.Since(start))) }

// statementTimer is a driver whose statements a timer times, in and out of
// transactions, BEGIN and COMMIT included.
type statementTimer struct {
	dialect.Driver
	timer
}

func (d statementTimer) Exec(ctx context.Context, query string, args, v any) error {
	defer d.since(time.Now())
	return d.Driver.Exec(ctx, query, args, v)
}

func (d statementTimer) Query(ctx context.Context, query string, args, v any) error {
	defer d.since(time.Now())
	return d.Driver.Query(ctx, query, args, v)
}

func (d statementTimer) Tx(ctx context.Context) (dialect.Tx, error) {
	defer d.since(time.Now())
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return timedTx{Tx: tx, timer: d.timer}, nil
}

type timedTx struct {
	dialect.Tx
	timer
}

func (t timedTx) Exec(ctx context.Context, query string, args, v any) error {
	defer t.since(time.Now())
	return t.Tx.Exec(ctx, query, args, v)
}

func (t timedTx) Query(ctx context.Context, query string, args, v any) error {
	defer t.since(time.Now())
	return t.Tx.Query(ctx, query, args, v)
}

func (t timedTx) Commit() error {
	defer t.since(time.Now())
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
	// Replay writes no events: that the timer hides ent's SQL driver from the
	// wrapper (which then begins a database/sql Tx, not a connTx) changes one
	// BEGIN and one COMMIT.
	c := ent.NewClient(ent.Driver(eventlog.WrapDriver(statementTimer{Driver: entsql.OpenDB(db.Dialect, db.SQL), timer: timer{&ns}})))
	start := time.Now()
	if err := replay.Run(ctx, c); err != nil {
		return 0, 0, err
	}
	return time.Since(start), time.Duration(ns.Load()), nil
}
