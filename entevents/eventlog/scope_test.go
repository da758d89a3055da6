package eventlog_test

import (
	"context"
	"sync"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/eventlog"
)

// scopeDriver is a driver whose transactions do nothing; it counts them.
type scopeDriver struct {
	dialect.Driver
	mu  sync.Mutex
	txs int
}

func (d *scopeDriver) Tx(context.Context) (dialect.Tx, error) {
	d.mu.Lock()
	d.txs++
	d.mu.Unlock()
	return dialect.NopTx(d), nil
}

func (*scopeDriver) Dialect() string { return dialect.SQLite }

func scopeEntity(name string) *eventlog.Entity {
	e := &eventlog.Entity{Name: name, Table: name + "s"}
	eventlog.NewBinding(&eventlog.Log{Table: "events"}, e)
	return e
}

// TestBulkGroupPerGoroutine: ent runs the rows of a CreateBulk nested, each with
// the context given to Save. Two bulk creates on other goroutines with an equal
// context (context.Background) must not take over each other's rows.
func TestBulkGroupPerGoroutine(t *testing.T) {
	t.Parallel()
	drv := eventlog.WrapDriver(&scopeDriver{})
	e := scopeEntity("Tag")
	ctx := context.Background()

	rootA, err := eventlog.Begin(ctx, drv, e, true)
	require.NoError(t, err)

	// Another goroutine starts a bulk create of the same entity with an equal
	// context while A's rows are being saved.
	started, resume := make(chan *eventlog.Frame), make(chan struct{})
	go func() {
		rootB, err := eventlog.Begin(ctx, drv, e, true)
		if err != nil {
			panic(err)
		}
		started <- rootB
		<-resume
		rootB.Abort(nil, false)
		close(started)
	}()
	rootB := <-started
	require.NotSame(t, rootA.Tx(), rootB.Tx(), "another goroutine's bulk create has its own transaction")

	// Row 1 of A (nested in row 0, same goroutine, same context) joins row 0's
	// transaction and group, not B's and not a new one.
	rowA1, err := eventlog.Begin(ctx, drv, e, true)
	require.NoError(t, err)
	require.Same(t, rootA.Tx(), rowA1.Tx())
	require.Equal(t, rootA.Ctx, rowA1.Ctx, "rows run with the group's pinned context")

	close(resume)
	<-started
	rowA2, err := eventlog.Begin(ctx, drv, e, true)
	require.NoError(t, err)
	require.Same(t, rootA.Tx(), rowA2.Tx())

	// A different entity on the same goroutine and context is not a row of A.
	other, err := eventlog.Begin(ctx, drv, scopeEntity("User"), true)
	require.NoError(t, err)
	require.NotSame(t, rootA.Tx(), other.Tx())
	other.Abort(nil, false)

	rowA2.Abort(nil, false)
	rowA1.Abort(nil, false)
	rootA.Abort(nil, false)

	// Once released, the same context starts a fresh group.
	next, err := eventlog.Begin(ctx, drv, e, true)
	require.NoError(t, err)
	require.NotSame(t, rootA.Tx(), next.Tx())
	next.Abort(nil, false)
}

// TestBeginFindsTransaction: Begin joins a caller's transaction, one pinned in
// the context, or begins its own; an unwrapped driver is refused.
func TestBeginFindsTransaction(t *testing.T) {
	t.Parallel()
	sd := &scopeDriver{}
	drv := eventlog.WrapDriver(sd)
	require.Same(t, drv, eventlog.WrapDriver(drv), "wrapping twice is a no-op")
	e := scopeEntity("Post")
	ctx := context.Background()

	// Caller's transaction, and one under ent's debug logger.
	tx, err := drv.Tx(ctx)
	require.NoError(t, err)
	f, err := eventlog.Begin(ctx, tx, e, false)
	require.NoError(t, err)
	require.Same(t, tx, f.Tx())
	require.Equal(t, ctx, f.Ctx, "no transaction of its own")
	dtx, err := dialect.Debug(drv, func(...any) {}).Tx(ctx)
	require.NoError(t, err)
	f, err = eventlog.Begin(ctx, dtx, e, false)
	require.NoError(t, err)
	require.NotNil(t, f.Tx())
	require.Equal(t, ctx, f.Ctx, "no transaction of its own")
	require.Equal(t, 2, sd.txs)

	// Own transaction, pinned in the frame's context: a nested Begin joins it, and
	// the driver's Tx inside it is the same transaction.
	own, err := eventlog.Begin(ctx, dialect.Debug(drv), e, false)
	require.NoError(t, err)
	require.Equal(t, 3, sd.txs)
	inner, err := eventlog.Begin(own.Ctx, drv, scopeEntity("Comment"), false)
	require.NoError(t, err)
	require.Same(t, own.Tx(), inner.Tx())
	ntx, err := drv.Tx(own.Ctx)
	require.NoError(t, err)
	require.NoError(t, ntx.Commit(), "a nested transaction leaves committing to the mutation")
	require.Equal(t, 3, sd.txs)
	inner.Abort(nil, false)
	own.Abort(nil, false)

	// Unwrapped.
	_, err = eventlog.Begin(ctx, sd, e, false)
	require.ErrorIs(t, err, eventlog.ErrDriverNotWrapped)
	_, err = eventlog.Begin(ctx, dialect.Debug(sd), e, true)
	require.ErrorIs(t, err, eventlog.ErrDriverNotWrapped)
	require.Equal(t, 3, sd.txs, "refused before beginning anything")
}

// TestAbortedTxCommit: a transaction whose mutation wrote rows but not its event
// rolls back at Commit with ErrTxAborted and the cause.
func TestAbortedTxCommit(t *testing.T) {
	t.Parallel()
	drv := eventlog.WrapDriver(&scopeDriver{})
	e := scopeEntity("Tag")
	ctx := context.Background()
	tx, err := drv.Tx(ctx)
	require.NoError(t, err)
	f, err := eventlog.Begin(ctx, tx, e, false)
	require.NoError(t, err)
	cause := eventlog.ErrEncode
	f.Abort(cause, true)
	err = tx.Commit()
	require.ErrorIs(t, err, eventlog.ErrTxAborted)
	require.ErrorIs(t, err, cause)

	// Not written: the transaction is untouched.
	tx, err = drv.Tx(ctx)
	require.NoError(t, err)
	f, err = eventlog.Begin(ctx, tx, e, false)
	require.NoError(t, err)
	f.Abort(cause, false)
	require.NoError(t, tx.Commit())
}
