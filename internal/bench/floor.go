package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
)

// Floor measures the database alone, with hand-written SQL and no ent: one
// transaction inserting n user rows, with (events true) or without the n event
// rows entevents adds, in one multi-row INSERT each. The ratio of the two is the
// least overhead any event log with these columns and indexes can have, whatever
// the library does: rows of the Create and CreateBulk table rows are read against it.
func Floor(db *DB, n int, events bool) func(*testing.B) {
	const data = `{"fields":{"age":33,"create_time":"2026-11-23T17:07:11.030625656Z","email":"user@example.com",` +
		`"karma":10,"name":"user","quota":0,"role":"member","score":0,"settings":{"theme":"dark","notifications":true,` +
		`"languages":["en","fr"]},"update_time":"2026-11-23T17:07:11.030626097Z"}}`
	const changed = `["age","create_time","email","karma","name","quota","role","score","settings","update_time"]`
	return func(b *testing.B) {
		ctx := context.Background()
		ph := func(i int) string {
			if db.Dialect == dialect.Postgres {
				return fmt.Sprintf("$%d", i)
			}
			return "?"
		}
		values := func(b *strings.Builder, rows, cols, first int) {
			k := first
			for r := range rows {
				if r > 0 {
					b.WriteString(", ")
				}
				b.WriteByte('(')
				for c := range cols {
					if c > 0 {
						b.WriteString(", ")
					}
					k++
					b.WriteString(ph(k))
				}
				b.WriteByte(')')
			}
		}
		var us, es strings.Builder
		us.WriteString(`INSERT INTO users (create_time, update_time, name, email, role, age, karma, quota, score, settings) VALUES `)
		values(&us, n, 10, 0)
		us.WriteString(" RETURNING id")
		es.WriteString(`INSERT INTO events (record_id, entity, action, action_type, version, data, changed_fields, metadata, occurred_at) VALUES `)
		values(&es, n, 9, 0)
		for range b.N {
			run := db.name("floor")
			now := time.Now().UTC()
			uargs := make([]any, 0, 10*n)
			eargs := make([]any, 0, 9*n)
			for r := range n {
				name := fmt.Sprintf("%s-%d", run, r)
				uargs = append(uargs, now, now, name, name+"@example.com", "member", 33, 10, 0, 0.0, `{"theme":"dark","notifications":true,"languages":["en","fr"]}`)
				if events {
					eargs = append(eargs, name, "User", "create", "create", 2, []byte(data), []byte(changed), []byte("{}"), now)
				}
			}
			tx, err := db.SQL.BeginTx(ctx, nil)
			if err != nil {
				fatal(b, err)
			}
			rows, err := tx.QueryContext(ctx, us.String(), uargs...)
			if err != nil {
				fatal(b, err)
			}
			for rows.Next() {
			}
			if err := rows.Close(); err != nil {
				fatal(b, err)
			}
			if events {
				if _, err := tx.ExecContext(ctx, es.String(), eargs...); err != nil {
					fatal(b, err)
				}
			}
			if err := tx.Commit(); err != nil {
				fatal(b, err)
			}
		}
	}
}
