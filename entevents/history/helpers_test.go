package history_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/history"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
)

// The generated client and a transaction's client are history clients.
var _ history.Client = (*ent.Client)(nil)

// row reads the current row of a record through the generated EnteventsRow: its
// non-NULL field values by name, typed as in event data. ok is false when the row
// does not exist.
func row(t *testing.T, ctx context.Context, c *ent.Client, entity string, id any) (map[string]any, bool) {
	t.Helper()
	var (
		set map[string]any
		err error
	)
	switch entity {
	case "User":
		set, _, err = c.User.UpdateOneID(id.(int)).Mutation().EnteventsRow(ctx, id)
	case "Post":
		set, _, err = c.Post.UpdateOneID(id.(int)).Mutation().EnteventsRow(ctx, id)
	case "Tag":
		set, _, err = c.Tag.UpdateOneID(id.(int)).Mutation().EnteventsRow(ctx, id)
	case "Profile":
		set, _, err = c.Profile.UpdateOneID(id.(int)).Mutation().EnteventsRow(ctx, id)
	case "Comment":
		set, _, err = c.Comment.UpdateOneID(id.(uuid.UUID)).Mutation().EnteventsRow(ctx, id)
	default:
		t.Fatalf("row: unknown entity %s", entity)
	}
	if ent.IsNotFound(err) {
		return nil, false
	}
	require.NoError(t, err)
	return set, true
}

// normalize makes values read from the database and values decoded from events
// comparable: times in UTC at microseconds (PostgreSQL's precision), everything
// else as its JSON text (JSON fields decode numbers as float64 from a row and as
// json.Number from an event).
func normalize(t *testing.T, v any) string {
	t.Helper()
	if tm, ok := v.(time.Time); ok {
		return tm.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func normalizeFields(t *testing.T, fields map[string]any, skip ...string) map[string]string {
	t.Helper()
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		out[k] = normalize(t, v)
	}
	for _, k := range skip {
		delete(out, k)
	}
	return out
}

// snapshot is a record as it was at one moment of a test.
type snapshot struct {
	label   string
	at      time.Time // just after the step committed
	eventID int64     // the last event id at that moment (0: none yet)
	exists  bool
	fields  map[string]any
	edges   map[string][]any
}

// lastEventID returns the highest event id, 0 when the log is empty.
func lastEventID(t *testing.T, ctx context.Context, c *ent.Client) int64 {
	t.Helper()
	ev, err := c.Event.Query().Order(ent.Desc(event.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return 0
	}
	require.NoError(t, err)
	return ev.ID
}

// take records the record's row and edges now, then sleeps so that later events
// occur strictly after the snapshot's time.
func take(t *testing.T, ctx context.Context, c *ent.Client, label, entity string, id any, edges func() map[string][]any) snapshot {
	t.Helper()
	s := snapshot{label: label, eventID: lastEventID(t, ctx, c)}
	s.fields, s.exists = row(t, ctx, c, entity, id)
	if s.exists && edges != nil {
		s.edges = edges()
	}
	s.at = time.Now()
	time.Sleep(3 * time.Millisecond)
	return s
}

// requireState asserts that a folded state equals a snapshot of the real row.
// Fields listed in unknown are expected in State.Unknown instead of Fields.
func requireState(t *testing.T, want snapshot, got *history.State, unknown ...string) {
	t.Helper()
	require.Equal(t, want.exists, got.Exists, "%s: exists", want.label)
	if !want.exists {
		require.Empty(t, got.Fields, "%s: fields of a missing record", want.label)
		require.Empty(t, got.Edges, "%s: edges of a missing record", want.label)
		return
	}
	require.Equal(t, normalizeFields(t, want.fields, unknown...), normalizeFields(t, got.Fields), "%s: fields", want.label)
	for _, f := range unknown {
		if _, ok := want.fields[f]; ok {
			require.Contains(t, got.Unknown, f, "%s: unknown fields", want.label)
		}
	}
	gotEdges := map[string][]string{}
	for k, ids := range got.Edges {
		gotEdges[k] = sortedStrings(ids)
	}
	wantEdges := map[string][]string{}
	for k, ids := range want.edges {
		if len(ids) > 0 {
			wantEdges[k] = sortedStrings(ids)
		}
	}
	require.Equal(t, wantEdges, gotEdges, "%s: edges", want.label)
}

func sortedStrings(ids []any) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = fmt.Sprint(id)
	}
	sort.Strings(out)
	return out
}

func anys[T any](vs ...T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// actions returns "entity/action" of each event, to assert order and content.
func actions(evs []*history.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = fmt.Sprintf("%s/%s", ev.Entity, ev.Action)
	}
	return out
}

func ids(evs []*history.Event) []int64 {
	out := make([]int64, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID.(int64)
	}
	return out
}

// setValue returns the value an event's decoded change set for a field.
func setValue(t *testing.T, ev *history.Event, name string) any {
	t.Helper()
	require.NotNil(t, ev.Change, "event %v has no decoded change", ev.ID)
	for _, fv := range ev.Change.Set {
		if fv.Field.Name == name {
			return fv.Value
		}
	}
	t.Fatalf("event %v sets no %s", ev.ID, name)
	return nil
}
