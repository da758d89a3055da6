package eventlog_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/internal/fixture"
	"github.com/entevents/entevents/internal/testdb"
	"github.com/entevents/entevents/internal/watch"
)

// panicOnInsert, as a watch.Driver callback, panics on the first statement that
// inserts into the table armed.
type panicOnInsert struct {
	mu    sync.Mutex
	table string
}

func (d *panicOnInsert) check(query string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.table != "" && strings.Contains(query, "INSERT INTO `"+d.table+"`") {
		d.table = ""
		panic("driver exploded")
	}
	return query
}

// TestPanicReleasesTransaction makes a tracked create and a bulk create panic
// inside their transactions. The transactions are rolled back, nothing is written,
// and later creates (on the same context, here on SQLite's single connection,
// which a leaked transaction would hold forever) work.
func TestPanicReleasesTransaction(t *testing.T) {
	t.Parallel()
	db := testdb.SQLite(t)
	ctx := context.Background()
	require.NoError(t, fixture.CreateSchema(ctx, dialect.SQLite, db))
	drv := &panicOnInsert{}
	client := ent.NewClient(ent.Driver(eventlog.WrapDriver(&watch.Driver{Driver: entsql.OpenDB(dialect.SQLite, db), See: drv.check})))
	explode := func(fn func()) {
		t.Helper()
		drv.mu.Lock()
		drv.table = "tags"
		drv.mu.Unlock()
		require.PanicsWithValue(t, "driver exploded", fn)
	}
	explode(func() { client.Tag.Create().SetName("a").ExecX(ctx) })
	explode(func() {
		client.Tag.CreateBulk(client.Tag.Create().SetName("b"), client.Tag.Create().SetName("c")).ExecX(ctx)
	})
	// A leaked transaction would hold the only connection: fail fast, not hang.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.Zero(t, client.Tag.Query().CountX(ctx))
	require.Zero(t, client.Event.Query().CountX(ctx))

	client.Tag.CreateBulk(client.Tag.Create().SetName("d"), client.Tag.Create().SetName("e")).ExecX(ctx)
	client.Tag.Create().SetName("f").ExecX(ctx)
	require.Equal(t, 3, client.Tag.Query().CountX(ctx))
	require.Equal(t, 3, client.Event.Query().CountX(ctx))
}
