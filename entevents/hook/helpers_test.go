package hook_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/internal/fixture"
)

// events returns every event of the log in id order.
func events(t *testing.T, ctx context.Context, c *ent.Client) []*ent.Event {
	t.Helper()
	evs, err := c.Event.Query().Order(event.ByID()).All(ctx)
	require.NoError(t, err)
	return evs
}

// eventsOf returns the events of one entity in id order.
func eventsOf(t *testing.T, c *ent.Client, entity string) []*ent.Event {
	t.Helper()
	evs, err := c.Event.Query().Where(event.EntityEQ(entity)).Order(event.ByID()).All(context.Background())
	require.NoError(t, err)
	return evs
}

// decoded is the typed content of an event's data column.
type decoded struct {
	Set      map[string]any
	Added    map[string]any
	Cleared  []string
	Edges    map[string]edgeOp
	Redacted []string
	Upsert   bool
}

type edgeOp struct {
	Added   []any
	Removed []any
	Cleared bool
}

// decode decodes the data column of ev with the generated descriptors. It fails
// the test if the document has keys the format does not know.
func decode(t *testing.T, ev *ent.Event) decoded {
	t.Helper()
	e := ent.Entevents().Entity(ev.Entity)
	require.NotNil(t, e, "entity %q", ev.Entity)
	c, err := e.DecodeData(ev.Data)
	require.NoError(t, err, "event %d data %s", ev.ID, ev.Data)
	d := decoded{Set: map[string]any{}, Added: map[string]any{}, Edges: map[string]edgeOp{}, Redacted: c.Redacted, Upsert: c.Upsert}
	for _, fv := range c.Set {
		d.Set[fv.Field.Name] = fv.Value
	}
	for _, fv := range c.Added {
		d.Added[fv.Field.Name] = fv.Value
	}
	for _, f := range c.Cleared {
		d.Cleared = append(d.Cleared, f.Name)
	}
	for _, op := range c.Edges {
		d.Edges[op.Edge.Name] = edgeOp{Added: op.Added, Removed: op.Removed, Cleared: op.Cleared}
	}
	return d
}

// count returns the number of rows of table, read with plain SQL.
func count(t *testing.T, db *fixture.DB, table string) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM %s", table)).Scan(&n))
	return n
}

// requireEvent checks the identifying columns of ev.
func requireEvent(t *testing.T, ev *ent.Event, entity string, recordID any, action string, typ event.ActionType, version int) {
	t.Helper()
	require.Equal(t, entity, ev.Entity, "entity of event %d", ev.ID)
	require.Equal(t, fmt.Sprint(recordID), ev.RecordID, "record_id of event %d", ev.ID)
	require.Equal(t, action, ev.Action, "action of event %d", ev.ID)
	require.Equal(t, typ, ev.ActionType, "action_type of event %d", ev.ID)
	require.Equal(t, version, ev.Version, "version of event %d", ev.ID)
}

// requireJSON asserts that raw is the JSON document want, ignoring key order and
// whitespace (PostgreSQL stores jsonb).
func requireJSON(t *testing.T, want string, raw []byte) {
	t.Helper()
	require.JSONEq(t, want, string(raw))
}
