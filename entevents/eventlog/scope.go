package eventlog

import (
	"context"
	"reflect"
	"sync"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
)

// Mutation is implemented by the generated mutations of tracked entities.
type Mutation interface {
	ent.Mutation
	// EnteventsEntity returns the entity descriptor.
	EnteventsEntity() *Entity
	// EnteventsDriver returns the driver the mutation writes through, with ent's
	// transaction driver unwrapped to the dialect transaction.
	EnteventsDriver() dialect.ExecQuerier
	// EnteventsID returns the id of the mutated row, once known.
	EnteventsID() (any, bool)
	// EnteventsResolveIDs selects the ids of the rows the mutation's predicates match
	// (locking them on PostgreSQL) and restricts the mutation to exactly those rows.
	EnteventsResolveIDs(ctx context.Context) ([]any, error)
	// EnteventsRow reads a row by id, bypassing interceptors, as field values;
	// nil values of nillable fields are reported as cleared.
	EnteventsRow(ctx context.Context, id any) (set map[string]any, cleared []string, err error)
}

// Frame is one tracked mutation in progress: the transaction it runs in and where
// its events go. Internal.
type Frame struct {
	// Ctx is the context the mutation must run with.
	Ctx context.Context

	tx     *Tx
	own    bool
	group  *bulkGroup
	root   bool
	upsert *upsertProbe
}

// bulkGroup gathers the rows of one CreateBulk. ent runs the hooks of row i+1
// inside those of row i, each with the context given to Save, and their post-save
// halves in reverse: the group restores row order and lets rows 1..n join the
// transaction of row 0.
type bulkGroup struct {
	key    groupID
	entity *Entity
	tx     *Tx
	ctx    context.Context
	at     time.Time // when the bulk create began: the occurred_at of all its rows
	mu     sync.Mutex
	rows   [][]*Record
}

var bulkGroups sync.Map // groupID -> *bulkGroup

// Begin starts tracking a mutation of e whose driver is drv. Outside a transaction
// it begins one (pinned to Frame.Ctx) that Done commits. It fails with
// ErrDriverNotWrapped, before anything is written, if drv was not wrapped.
func Begin(ctx context.Context, drv dialect.ExecQuerier, e *Entity, create bool) (*Frame, error) {
	key, keyed := groupKey(ctx, create)
	if keyed {
		if v, ok := bulkGroups.Load(key); ok {
			if g := v.(*bulkGroup); g.entity == e {
				return &Frame{Ctx: g.ctx, tx: g.tx, group: g}, nil
			}
			keyed = false // another entity's create group: this create is not a bulk row
		}
	}
	f := &Frame{Ctx: ctx}
	for f.tx == nil {
		switch d := drv.(type) {
		case *Tx:
			f.tx = d
		case nestedTx:
			f.tx = d.Tx
		case *Driver:
			if t := d.pinned(ctx); t != nil {
				f.tx = t
				break
			}
			raw, err := d.Driver.Tx(ctx)
			if err != nil {
				return nil, err
			}
			f.tx, f.own = newTx(ctx, d, raw), true
			f.Ctx = context.WithValue(ctx, pinKey{d}, f.tx)
		case *dialect.DebugDriver:
			drv = d.Driver
		case *dialect.DebugTx:
			drv = d.Tx
		default:
			return nil, ErrDriverNotWrapped
		}
	}
	if create {
		f.upsert = &upsertProbe{table: e.Table}
		f.Ctx = context.WithValue(f.Ctx, upsertKey{}, f.upsert)
		if keyed {
			f.group = &bulkGroup{key: key, entity: e, tx: f.tx, ctx: f.Ctx, at: Now()}
			f.root = true
			bulkGroups.Store(key, f.group)
		}
	}
	return f, nil
}

// groupID keys a bulk group: the context given to Save and the goroutine running
// it, so that unrelated mutations sharing a context on other goroutines never join.
type groupID struct {
	ctx context.Context
	gid uint64
}

func groupKey(ctx context.Context, create bool) (groupID, bool) {
	if !create || !reflect.TypeOf(ctx).Comparable() {
		return groupID{}, false
	}
	return groupID{ctx: ctx, gid: goid()}, true
}

// Now returns the current time as events store it: UTC, in microseconds (the
// precision of PostgreSQL timestamps, so that it reads back equal).
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// OccurredAt returns the occurred_at of the mutation's events. The rows of one
// CreateBulk share the time the bulk began, so that occurred_at never runs
// backwards along their ids (ent completes their hooks in reverse).
func (f *Frame) OccurredAt() time.Time {
	if f.group != nil {
		return f.group.at
	}
	return Now()
}

// Tx returns the transaction the mutation runs in.
func (f *Frame) Tx() *Tx { return f.tx }

// Upserted reports whether the create ran an INSERT ... ON CONFLICT.
func (f *Frame) Upserted() bool {
	if f.upsert != nil {
		return f.upsert.seen.Load()
	}
	if f.group != nil {
		if p, ok := f.group.ctx.Value(upsertKey{}).(*upsertProbe); ok {
			return p.seen.Load()
		}
	}
	return false
}

func (f *Frame) release() {
	if f.root {
		bulkGroups.CompareAndDelete(f.group.key, f.group)
	}
}

// Done hands the mutation's events to its transaction, and commits the transaction
// if the frame began it.
func (f *Frame) Done(log *Log, records []*Record) error {
	switch {
	case f.group != nil && !f.root:
		f.group.mu.Lock()
		f.group.rows = append(f.group.rows, records)
		f.group.mu.Unlock()
		return nil
	case f.root:
		f.release()
		f.group.mu.Lock()
		for i := len(f.group.rows) - 1; i >= 0; i-- {
			records = append(records, f.group.rows[i]...)
		}
		f.group.mu.Unlock()
	}
	f.tx.add(log, records)
	if f.own {
		return f.tx.Commit()
	}
	return nil
}

// Abort ends a mutation that failed: its own transaction is rolled back. written
// says the mutation's rows were written but its event could not be built: the
// caller's transaction is then marked so that its Commit rolls back.
func (f *Frame) Abort(err error, written bool) {
	f.release()
	switch {
	case f.own:
		_ = f.tx.Rollback()
	case written:
		f.tx.abort(err)
	}
}
