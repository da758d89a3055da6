package replay_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/internal/fixture"
)

// testBundle is what every replay test starts from: a fresh example database.
type testBundle struct {
	ctx    context.Context
	db     *fixture.DB
	client *ent.Client
}

func setup(t *testing.T, db *fixture.DB) *testBundle {
	t.Helper()
	return &testBundle{ctx: context.Background(), db: db, client: db.Client}
}

// excludedColumns are left out of dumps: password_hash is sensitive, so without
// a vault its values are not in the events and replay leaves it NULL.
var excludedColumns = map[string]bool{"password_hash": true}

// dump returns the rows of every table replay rebuilds (the tracked tables and
// their join tables), canonically formatted and sorted: two databases with the
// same dump hold the same state.
func (b *testBundle) dump(t testing.TB) []string {
	t.Helper()
	var out []string
	tables := replay.ClearOrder(ent.Entevents())
	slices.Sort(tables)
	for _, table := range tables {
		out = append(out, dumpTable(t, b.db.SQL, table)...)
	}
	return out
}

func dumpTable(t testing.TB, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM "` + table + `"`)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		var sb strings.Builder
		sb.WriteString(table)
		for i, c := range cols {
			if excludedColumns[c] {
				continue
			}
			fmt.Fprintf(&sb, " %s=%s", c, formatValue(vals[i]))
		}
		lines = append(lines, sb.String())
	}
	require.NoError(t, rows.Err())
	slices.Sort(lines)
	return lines
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return "x'" + hex.EncodeToString(x) + "'"
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprintf("%v", v)
}

// requireSameDump fails t when two dumps differ, listing only the rows that
// differ.
func requireSameDump(t testing.TB, want, got []string, msgAndArgs ...any) {
	t.Helper()
	if slices.Equal(want, got) {
		return
	}
	var missing, extra []string
	for _, l := range want {
		if _, found := slices.BinarySearch(got, l); !found {
			missing = append(missing, l)
		}
	}
	for _, l := range got {
		if _, found := slices.BinarySearch(want, l); !found {
			extra = append(extra, l)
		}
	}
	require.Fail(t, "the tables differ", "want, missing:\n%s\ngot, unexpected:\n%s\n%s",
		strings.Join(missing, "\n"), strings.Join(extra, "\n"), fmt.Sprint(msgAndArgs...))
}

// eventCount returns the number of events in the log. It reads with plain SQL:
// some tests install interceptors that deny every query of the client.
func (b *testBundle) eventCount(t testing.TB) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.SQL.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n))
	return n
}

// lastEventID returns the id of the newest event.
func (b *testBundle) lastEventID(t testing.TB) int64 {
	t.Helper()
	var id int64
	require.NoError(t, b.db.SQL.QueryRow(`SELECT MAX(id) FROM events`).Scan(&id))
	return id
}

// replayAndCompare replays the whole log and checks that the tables hold what
// they held before and that no event was recorded.
func (b *testBundle) replayAndCompare(t *testing.T, opts ...replay.Option) {
	t.Helper()
	before := b.dump(t)
	events := b.eventCount(t)
	require.NoError(t, replay.Run(b.ctx, b.client, opts...))
	requireSameDump(t, before, b.dump(t))
	require.Equal(t, events, b.eventCount(t), "replay recorded events")
}

// insertEvent writes an event row directly, for events the capture hook would
// not write (old versions, corrupt data). Missing columns get usable defaults.
func (b *testBundle) insertEvent(t testing.TB, cols map[string]any) int64 {
	t.Helper()
	row := map[string]any{
		"record_id": "1", "entity": "User", "action": "create", "action_type": "create", "version": 1,
		"data": "{}", "changed_fields": "[]", "metadata": "{}", "occurred_at": time.Now().UTC().Truncate(time.Microsecond),
	}
	for k, v := range cols {
		row[k] = v
	}
	names := make([]string, 0, len(row))
	for k := range row {
		names = append(names, k)
	}
	slices.Sort(names)
	vals := make([]any, len(names))
	for i, k := range names {
		vals[i] = row[k]
	}
	query, args := entsql.Dialect(b.db.Dialect).Insert("events").Columns(names...).Values(vals...).Returning("id").Query()
	var id int64
	require.NoError(t, b.db.SQL.QueryRow(query, args...).Scan(&id))
	return id
}
