package eventlog

import (
	"context"
	stdsql "database/sql"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Driver wraps an ent driver so that tracked mutations and their events are written
// atomically. Transactions begun through it write the buffered events of the
// transaction, ordered, just before they commit; a tracked mutation made outside a
// transaction runs in a transaction of its own.
type Driver struct {
	dialect.Driver
	opts DriverOptions
	// multi reports a database/sql driver known to run a query string of
	// several statements (see DriverOptions.SeparateCommit).
	multi bool
}

var _ dialect.Driver = (*Driver)(nil)

// DriverOptions are the options of one wrapped driver, and so of the clients that
// use it. They override the EventLog options of the schema for that driver only:
// tests and multi-tenant applications can give each client its own vault.
type DriverOptions struct {
	// Vault, when set, encrypts the events written through the driver and decrypts
	// the events read with it (see VaultOf), in place of EventLog.Vault. Defaults
	// to nil: the EventLog's vault.
	Vault Vault
	// DisableLock turns the PostgreSQL ordering lock off for the transactions of the
	// driver, whatever EventLog.DisableLock says: readers tailing the log by id may
	// then miss events. For benchmarks and diagnostics. Defaults to false.
	DisableLock bool
	// EarlyUnlock makes the transactions of the driver release the PostgreSQL
	// ordering lock before their commit is flushed, whatever
	// EventLog.EarlyUnlock says; see there for what readers give up. Defaults
	// to false.
	EarlyUnlock bool
	// SeparateCommit sends the COMMIT of a transaction with events as a
	// statement of its own on PostgreSQL. By default, with the pgx or lib/pq
	// database/sql drivers, the events (up to 8 per transaction) are written
	// with their values inlined as literals, in one query string together with
	// the COMMIT: one round trip less, and the ordering lock is released without
	// waiting for the application to send the COMMIT. For that, over ent's SQL
	// driver, transactions run on a connection of their own (database/sql's
	// Conn, with BEGIN, COMMIT and ROLLBACK statements) rather than in a
	// database/sql Tx; they are rolled back when the context they began with is
	// done, as a Tx is. Set it when something between the application and
	// PostgreSQL refuses several statements in one query, or to keep
	// database/sql's Tx. Defaults to false.
	SeparateCommit bool
}

// WrapDriver wraps drv. Wrapping a wrapped driver returns it unchanged.
func WrapDriver(drv dialect.Driver) *Driver { return WrapDriverWith(drv, nil) }

// WrapDriverWith wraps drv with options; nil options are WrapDriver. Wrapping a
// wrapped driver with options returns a new wrapper of the same underlying
// driver with these options (the given driver is not changed).
func WrapDriverWith(drv dialect.Driver, opts *DriverOptions) *Driver {
	d, ok := drv.(*Driver)
	switch {
	case ok && opts == nil:
		return d
	case ok:
		drv = d.Driver
	case opts == nil:
		opts = &DriverOptions{}
	}
	return &Driver{Driver: drv, opts: *opts, multi: runsMultiStatements(drv)}
}

// runsMultiStatements reports whether drv is an ent SQL driver over a
// database/sql driver that sends a query without arguments as a simple query,
// which PostgreSQL runs statement after statement: pgx (v4, v5) and lib/pq.
func runsMultiStatements(drv dialect.Driver) bool {
	d, ok := drv.(interface{ DB() *stdsql.DB })
	if !ok || drv.Dialect() != dialect.Postgres {
		return false
	}
	db := d.DB()
	if db == nil {
		return false
	}
	t := reflect.TypeOf(db.Driver())
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.PkgPath() {
	case "github.com/jackc/pgx/v5/stdlib", "github.com/jackc/pgx/v4/stdlib", "github.com/lib/pq":
		return true
	}
	return false
}

// pipelines reports whether the transactions of d send their events and COMMIT
// as one query.
func (d *Driver) pipelines() bool { return d.multi && !d.opts.SeparateCommit }

// Vault returns the vault of the driver's options, or nil when the EventLog's
// applies.
func (d *Driver) Vault() Vault { return d.opts.Vault }

// VaultOf returns the vault override (DriverOptions.Vault) that applies to v: a
// wrapped driver, a transaction begun through one, ent's debug wrappers of either,
// or a generated client (its driver, or its transaction for a tx-bound client);
// nil when there is none or v is something else. Pass it to Log.SealWith and
// Log.UnsealWith, where nil means the EventLog's vault:
//
//	err := log.UnsealWith(ctx, eventlog.VaultOf(client), ev)
func VaultOf(v any) Vault {
	for {
		switch d := v.(type) {
		case *Driver:
			return d.opts.Vault
		case *Tx:
			return d.drv.opts.Vault
		case nestedTx:
			return d.drv.opts.Vault
		case *dialect.DebugDriver:
			v = d.Driver
		case *dialect.DebugTx:
			v = d.Tx
		case interface{ EnteventsDialectTx() (dialect.Tx, bool) }:
			if tx, ok := d.EnteventsDialectTx(); ok {
				v = tx
			} else if c, ok := d.(interface{ EnteventsDriver() dialect.Driver }); ok {
				v = c.EnteventsDriver()
			} else {
				return nil
			}
		case interface{ EnteventsDriver() dialect.Driver }:
			v = d.EnteventsDriver()
		default:
			return nil
		}
	}
}

type pinKey struct{ d *Driver }

type upsertKey struct{}

// upsertProbe notes that an INSERT ... ON CONFLICT into the table of a create in
// progress ran (join-table inserts use ON CONFLICT too; they do not count).
type upsertProbe struct {
	table string
	seen  atomic.Bool
}

func noteStatement(ctx context.Context, query string) {
	p, ok := ctx.Value(upsertKey{}).(*upsertProbe)
	if !ok || !strings.HasPrefix(query, "INSERT INTO ") {
		return
	}
	rest := query[len("INSERT INTO "):]
	if len(rest) > len(p.table)+1 && rest[1:1+len(p.table)] == p.table && rest[1+len(p.table)] == rest[0] &&
		strings.Contains(rest, " ON CONFLICT") {
		p.seen.Store(true)
	}
}

func (d *Driver) pinned(ctx context.Context) *Tx {
	t, _ := ctx.Value(pinKey{d}).(*Tx)
	return t
}

// Exec executes a statement, in the transaction that a tracked mutation runs in if
// ctx carries one.
func (d *Driver) Exec(ctx context.Context, query string, args, v any) error {
	if t := d.pinned(ctx); t != nil {
		return t.Exec(ctx, query, args, v)
	}
	noteStatement(ctx, query)
	return d.Driver.Exec(ctx, query, args, v)
}

// Query executes a query, in the transaction that a tracked mutation runs in if ctx
// carries one.
func (d *Driver) Query(ctx context.Context, query string, args, v any) error {
	if t := d.pinned(ctx); t != nil {
		return t.Query(ctx, query, args, v)
	}
	noteStatement(ctx, query)
	return d.Driver.Query(ctx, query, args, v)
}

// Tx begins a transaction. Inside a tracked mutation's own transaction it returns
// that transaction with no-op Commit and Rollback: the mutation decides.
func (d *Driver) Tx(ctx context.Context) (dialect.Tx, error) {
	if t := d.pinned(ctx); t != nil {
		return nestedTx{t}, nil
	}
	if db := d.ownsTx(); db != nil {
		tx, err := beginConn(ctx, db, nil)
		if err != nil {
			return nil, err
		}
		return newTx(ctx, d, tx), nil
	}
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return newTx(ctx, d, tx), nil
}

// ownsTx returns the database of d's transactions when d runs them on
// connections of its own (connTx): ent's SQL driver (not a wrapper of it, whose
// Tx would be bypassed) over a database/sql driver that runs several
// statements in one query, with SeparateCommit off. Nil otherwise.
func (d *Driver) ownsTx() *stdsql.DB {
	if !d.pipelines() {
		return nil
	}
	if drv, ok := d.Driver.(*entsql.Driver); ok {
		return drv.DB()
	}
	return nil
}

// BeginTx begins a transaction with options (used by ent's Client.BeginTx).
func (d *Driver) BeginTx(ctx context.Context, opts *stdsql.TxOptions) (dialect.Tx, error) {
	if t := d.pinned(ctx); t != nil {
		return nestedTx{t}, nil
	}
	if db := d.ownsTx(); db != nil {
		tx, err := beginConn(ctx, db, opts)
		if err != nil {
			return nil, err
		}
		return newTx(ctx, d, tx), nil
	}
	b, ok := d.Driver.(interface {
		BeginTx(context.Context, *entsql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return d.Tx(ctx)
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return newTx(ctx, d, tx), nil
}

// Tx is a transaction begun through a Driver. It buffers the events of the tracked
// mutations made in it and writes them when it commits.
type Tx struct {
	dialect.Tx
	drv *Driver
	ctx context.Context

	mu      sync.Mutex
	log     *Log
	events  []*Record
	aborted error
}

var _ dialect.Tx = (*Tx)(nil)

func newTx(ctx context.Context, d *Driver, tx dialect.Tx) *Tx {
	return &Tx{Tx: tx, drv: d, ctx: context.WithoutCancel(ctx)}
}

// Exec executes a statement in the transaction.
func (t *Tx) Exec(ctx context.Context, query string, args, v any) error {
	noteStatement(ctx, query)
	return t.Tx.Exec(ctx, query, args, v)
}

// Query executes a query in the transaction.
func (t *Tx) Query(ctx context.Context, query string, args, v any) error {
	noteStatement(ctx, query)
	return t.Tx.Query(ctx, query, args, v)
}

// Dialect returns the dialect of the underlying driver.
func (t *Tx) Dialect() string { return t.drv.Dialect() }

func (t *Tx) add(log *Log, records []*Record) {
	t.mu.Lock()
	t.log = log
	t.events = append(t.events, records...)
	t.mu.Unlock()
}

// abort makes Commit fail and roll back: a mutation of the transaction was written
// but its event could not be.
func (t *Tx) abort(err error) {
	t.mu.Lock()
	if t.aborted == nil {
		t.aborted = err
	}
	t.mu.Unlock()
}

// Commit writes the buffered events, then commits. If the events cannot be written,
// or a tracked mutation of the transaction failed to record its event, it rolls back
// and returns the error: the mutations and their events commit together or not at all.
func (t *Tx) Commit() error {
	t.mu.Lock()
	events, log, aborted := t.events, t.log, t.aborted
	t.events = nil
	t.mu.Unlock()
	if aborted != nil {
		_ = t.Tx.Rollback()
		return &abortError{err: aborted}
	}
	if len(events) == 0 {
		return t.Tx.Commit()
	}
	own, ok := t.Tx.(*connTx)
	if !ok {
		// After a query that committed, the transaction object commits the
		// transaction begun then.
		if _, err := writeEvents(t.ctx, t.Tx, t.drv, log, events, false); err != nil {
			_ = t.Tx.Rollback()
			return err
		}
		return t.Tx.Commit()
	}
	// Claimed first, so that its begin context being done no longer rolls the
	// transaction back while the events are written and committed.
	if err := own.claim(); err != nil {
		return err
	}
	done, err := writeEvents(t.ctx, own.Conn, t.drv, log, events, true)
	switch {
	case err != nil:
		_ = own.finish("ROLLBACK")
		return err
	case done:
		// The query that wrote the events committed the transaction.
		return own.release()
	}
	return own.finish(commitStatement)
}

// Rollback discards the buffered events and rolls back.
func (t *Tx) Rollback() error {
	t.mu.Lock()
	t.events = nil
	t.mu.Unlock()
	return t.Tx.Rollback()
}

type abortError struct{ err error }

func (e *abortError) Error() string   { return ErrTxAborted.Error() + ": " + e.err.Error() }
func (e *abortError) Unwrap() []error { return []error{ErrTxAborted, e.err} }

// nestedTx is the transaction of a tracked mutation seen from code that runs inside
// it (sqlgraph, hooks): committing or rolling back is left to the mutation.
type nestedTx struct{ *Tx }

func (nestedTx) Commit() error   { return nil }
func (nestedTx) Rollback() error { return nil }
