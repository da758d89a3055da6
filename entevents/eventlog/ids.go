package eventlog

import (
	"encoding/json"
	"fmt"
	"strconv"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// IDsIn returns a predicate restricting a query or mutation to the rows whose
// column is one of ids, bound as a single parameter so that the statement does not
// grow with, nor hit the parameter limit at, any number of ids: column =
// ANY($1) with an array literal on PostgreSQL, column IN (SELECT value FROM
// json_each(?)) with a JSON array on SQLite, an IN list elsewhere. Used by
// generated code to pin Update().Where and Delete().Where to the ids they resolved.
// Internal.
func IDsIn(dialectName, column string, ids []any) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		switch {
		case len(ids) == 0:
			s.Where(entsql.False())
		case dialectName == dialect.Postgres:
			s.Where(entsql.P(func(b *entsql.Builder) {
				b.Ident(s.C(column)).WriteString(" = ANY(").Arg(pgArray(ids)).WriteByte(')')
			}))
		case dialectName == dialect.SQLite:
			arr, err := json.Marshal(ids)
			if err != nil {
				s.AddError(fmt.Errorf("entevents: encode ids: %w", err))
				return
			}
			s.Where(entsql.P(func(b *entsql.Builder) {
				b.Ident(s.C(column)).WriteString(" IN (SELECT value FROM json_each(").Arg(string(arr)).WriteString("))")
			}))
		default:
			s.Where(entsql.In(s.C(column), ids...))
		}
	}
}

// pgArray returns the PostgreSQL array literal of ids, every element quoted; the
// server parses it as an array of the column's type.
func pgArray(ids []any) string {
	b := make([]byte, 0, 2+len(ids)*12)
	b = append(b, '{')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		if n, ok := Int64(id); ok {
			b = strconv.AppendInt(b, n, 10)
			continue
		}
		var s string
		switch v := id.(type) {
		case string:
			s = v
		case fmt.Stringer:
			s = v.String()
		default:
			s = fmt.Sprint(v)
		}
		b = append(b, '"')
		for j := 0; j < len(s); j++ {
			if s[j] == '"' || s[j] == '\\' {
				b = append(b, '\\')
			}
			b = append(b, s[j])
		}
		b = append(b, '"')
	}
	return string(append(b, '}'))
}
