package replay

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/entevents/entevents/entevents/eventlog"
)

// moveSequences moves the id sequence of every tracked PostgreSQL table with an
// integer id past the highest id the table holds and the highest id the replay
// created (including records it deleted again), so that the next insert does not
// reuse an id the log knows. A sequence already further is left alone. Tables
// whose id has no sequence are skipped. SQLite needs nothing: AUTOINCREMENT never
// hands out an id at or below one that was inserted explicitly.
func moveSequences(ctx context.Context, drv dialect.Driver, b *eventlog.Binding, created map[*eventlog.Entity]int64) error {
	if drv.Dialect() != dialect.Postgres {
		return nil
	}
	for _, e := range b.Entities() {
		if !e.IDType.Numeric() {
			continue
		}
		seq, ok, err := queryOne[string](ctx, drv,
			"SELECT pg_get_serial_sequence($1, $2)", quoteIdent(e.Table), e.IDColumn)
		if err != nil {
			return fmt.Errorf("entevents: replay: find the id sequence of %s: %w", e.Table, err)
		}
		if !ok {
			continue
		}
		target := created[e]
		maxID, ok, err := queryOne[int64](ctx, drv,
			fmt.Sprintf("SELECT MAX(%s) FROM %s", quoteIdent(e.IDColumn), quoteIdent(e.Table)))
		if err != nil {
			return fmt.Errorf("entevents: replay: read the highest id of %s: %w", e.Table, err)
		}
		if ok && maxID > target {
			target = maxID
		}
		if target <= 0 {
			continue
		}
		// setval(seq, n, true): the next nextval returns n+1.
		query := fmt.Sprintf("SELECT setval($1::regclass, GREATEST($2::bigint, (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM %s)), true)", seq)
		if _, _, err := queryOne[int64](ctx, drv, query, seq, target); err != nil {
			return fmt.Errorf("entevents: replay: move the id sequence of %s: %w", e.Table, err)
		}
	}
	return nil
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// queryOne runs a query returning one row of one column; ok is false when the
// value is NULL.
func queryOne[T any](ctx context.Context, drv dialect.ExecQuerier, query string, args ...any) (v T, ok bool, err error) {
	if args == nil {
		args = []any{}
	}
	rows := &sql.Rows{}
	if err := drv.Query(ctx, query, args, rows); err != nil {
		return v, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return v, false, err
		}
		return v, false, nil
	}
	var p *T
	if err := rows.Scan(&p); err != nil {
		return v, false, err
	}
	if p != nil {
		v, ok = *p, true
	}
	return v, ok, rows.Close()
}
