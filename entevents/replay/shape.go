package replay

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema/field"

	"github.com/entevents/entevents/entevents/eventlog"
)

// Updates of one entity that write the same columns in the same way — the same
// shape — but each with its own values (a run of UpdateOne events) are applied
// as one statement that joins the table with a VALUES list of the records' ids
// and values:
//
//	UPDATE "users" AS t SET "age" = NULL, "name" = v."name", "karma" = COALESCE(t."karma", 0) + v."karma"
//	FROM (VALUES ($1::bigint, $2::character varying, $3::bigint), ($4, $5, $6)) AS v("id", "name", "karma")
//	WHERE t."id" = v."id"
//
// (on SQLite the VALUES columns are v.column1, v.column2, ... and there are no
// casts). Each record's row is written as sqlgraph.UpdateNodes would write it:
// the same SET, NULL and COALESCE(col, 0) + delta expressions, with the values
// bound as sqlgraph binds them. Only changes confined to the entity's own row
// have a shape: fields, and edges whose foreign key is a column of the table and
// whose change sets it to one id or clears it.

// shapeHow is how an update writes a column.
type shapeHow byte

const (
	shapeSet  shapeHow = '=' // col = value
	shapeAdd  shapeHow = '+' // col = COALESCE(col, 0) + delta
	shapeNull shapeHow = '0' // col = NULL
)

// shapeColumn is a column an update writes.
type shapeColumn struct {
	name string
	typ  field.Type
	how  shapeHow
}

// shapeSupported reports whether the dialect runs shape updates: UPDATE ...
// FROM (VALUES ...) (SQLite since 3.33).
func shapeSupported(d string) bool {
	return d == dialect.Postgres || d == dialect.SQLite
}

// ownRowEdge reports whether the change of an edge only writes a foreign key
// column of the entity's own row: an edge whose key is in the table, but not a
// bidirectional O2O edge (sqlgraph also writes the other row), set to one id
// or cleared.
func ownRowEdge(eo *eventlog.EdgeOp) bool {
	return inTable(eo.Edge) && !eo.Edge.Bidi && len(eo.Removed) == 0 && len(eo.Added) <= 1
}

// walkShape calls fn with every column the update writes — NULLs, then set
// values and foreign keys, then deltas, like sqlgraph's SET clause — and the
// value it binds for it (nil for NULL). It reports false if the update has
// no shape: it changes nothing, changes more than its own row, or writes a
// column twice (which sqlgraph would send to the database as it is).
func (o *op) walkShape(fn func(c shapeColumn, v any)) bool {
	c := o.change
	if o.kind != kindUpdate || o.solo || len(c.Set)+len(c.Cleared)+len(c.Added)+len(c.Edges) == 0 {
		return false
	}
	var seen [16]string
	names := append(seen[:0], o.entity.IDColumn)
	fresh := func(name string) bool {
		for _, n := range names {
			if n == name {
				return false
			}
		}
		names = append(names, name)
		return true
	}
	for i := range c.Edges {
		if !ownRowEdge(&c.Edges[i]) {
			return false
		}
	}
	for _, f := range c.Cleared {
		if !fresh(f.Column) {
			return false
		}
		fn(shapeColumn{name: f.Column, typ: f.Type, how: shapeNull}, nil)
	}
	for i := range c.Edges {
		if eo := &c.Edges[i]; eo.Cleared && len(eo.Added) == 0 {
			col := eo.Edge.Columns[0]
			if !fresh(col) {
				return false
			}
			fn(shapeColumn{name: col, typ: eo.Edge.TargetIDType, how: shapeNull}, nil)
		}
	}
	for _, fv := range c.Set {
		if !fresh(fv.Field.Column) {
			return false
		}
		fn(shapeColumn{name: fv.Field.Column, typ: fv.Field.Type, how: shapeSet}, fv.Value)
	}
	for i := range c.Edges {
		if eo := &c.Edges[i]; len(eo.Added) == 1 {
			col := eo.Edge.Columns[0]
			if !fresh(col) {
				return false
			}
			fn(shapeColumn{name: col, typ: eo.Edge.TargetIDType, how: shapeSet}, eo.Added[0])
		}
	}
	for _, fv := range c.Added {
		if !fresh(fv.Field.Column) {
			return false
		}
		fn(shapeColumn{name: fv.Field.Column, typ: fv.Field.Type, how: shapeAdd}, fv.Value)
	}
	return len(names) > 1
}

// shapeKey returns the shape of an update, "" if it has none.
func (o *op) shapeKey() string {
	var key strings.Builder
	ok := o.walkShape(func(c shapeColumn, _ any) {
		key.WriteByte(byte(c.how))
		key.WriteString(c.name)
		key.WriteByte(0)
	})
	if !ok {
		return ""
	}
	return key.String()
}

// bindValue returns the value sqlgraph binds for a column of type t set to v:
// JSON values are marshalled (setTableColumns), others are bound as they are.
func bindValue(column string, t field.Type, v any) (any, error) {
	if t != field.TypeJSON {
		return v, nil
	}
	buf, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal value for column %s: %w", column, err)
	}
	return json.RawMessage(buf), nil
}

// minIdenticalRun is the shortest run of identical updates in a batch of
// updates of one shape that is applied on its own, with id IN (...): from about
// that length the run costs less as a statement of its own than as rows of the
// VALUES list (which binds every value of every row).
const minIdenticalRun = 32

// applyMixed applies a batch of updates of one shape, not all identical: runs
// of at least minIdenticalRun identical updates with one UPDATE ... WHERE id IN
// each, the others with one UPDATE ... FROM VALUES. The records are distinct
// and each update writes its own row only, so the order does not matter.
func (a *applier) applyMixed(ctx context.Context, ops []*op) error {
	// runEnd returns the end of the run of identical updates starting at i.
	runEnd := func(i int) int {
		j := i + 1
		for j < len(ops) && ops[j].data == ops[i].data {
			j++
		}
		return j
	}
	long := false
	for i := 0; i < len(ops) && !long; i = runEnd(i) {
		long = runEnd(i)-i >= minIdenticalRun
	}
	if !long {
		return a.applyShape(ctx, ops)
	}
	var rest []*op
	for i, j := 0, 0; i < len(ops); i = j {
		j = runEnd(i)
		if j-i < minIdenticalRun {
			rest = append(rest, ops[i:j]...)
		} else if err := a.apply(ctx, ops[i:j]); err != nil {
			return err
		}
	}
	switch len(rest) {
	case 0:
		return nil
	case 1:
		return a.apply(ctx, rest)
	}
	return a.applyShape(ctx, rest)
}

// applyShape applies updates of the same shape to distinct records of one
// entity with one statement. ops holds at least two; their equal shape keys
// mean that they write the same columns in the same order.
func (a *applier) applyShape(ctx context.Context, ops []*op) error {
	first := ops[0]
	e := first.entity
	d := a.drv.Dialect()
	var cols []shapeColumn
	first.walkShape(func(c shapeColumn, _ any) { cols = append(cols, c) })
	var types map[string]string
	if d == dialect.Postgres {
		var err error
		if types, err = a.columnTypes(ctx, e.Table); err != nil {
			return first.ref.fail("", err)
		}
	}
	// cast returns the cast of a column of the first row, which types the
	// parameters of the other rows (PostgreSQL leaves them untyped otherwise).
	// The type has no modifier (character varying, not character
	// varying(255); bpchar, not character, which is character(1)): an
	// explicit cast to a length would truncate where the assignment to the
	// column refuses a value too long, as sqlgraph's UPDATE does.
	cast := func(column string) (string, error) {
		if types == nil {
			return "", nil
		}
		t, ok := types[column]
		if !ok {
			return "", fmt.Errorf("entevents: replay: no column %s in table %s", column, e.Table)
		}
		return "::" + t, nil
	}
	b := &sql.Builder{}
	b.SetDialect(d)
	// vcol writes the VALUES column of the i-th column (0 is the id).
	vcol := func(i int, name string) {
		if d == dialect.Postgres {
			b.WriteString("v.").Ident(name)
		} else {
			b.WriteString("v.column" + strconv.Itoa(i+1))
		}
	}
	b.WriteString("UPDATE ").Ident(e.Table).WriteString(" AS t SET ")
	var valueCols []string // VALUES columns after the id
	for i, c := range cols {
		if i > 0 {
			b.Comma()
		}
		b.Ident(c.name).WriteString(" = ")
		switch c.how {
		case shapeNull:
			b.WriteString("NULL")
			continue
		case shapeSet:
			vcol(len(valueCols)+1, c.name)
		case shapeAdd:
			b.WriteString("COALESCE(t.").Ident(c.name).WriteString(", 0) + ")
			vcol(len(valueCols)+1, c.name)
		}
		valueCols = append(valueCols, c.name)
	}
	// The first row's casts: the id's, then the values'.
	casts := make([]string, 1+len(valueCols))
	for i, c := range append([]string{e.IDColumn}, valueCols...) {
		var err error
		if casts[i], err = cast(c); err != nil {
			return first.ref.fail("", err)
		}
	}
	b.WriteString(" FROM (VALUES ")
	for i, o := range ops {
		if i > 0 {
			b.Comma()
		}
		b.WriteByte('(')
		b.Arg(o.id)
		k := 0 // the VALUES column
		withCast := func() {
			if i == 0 {
				b.WriteString(casts[k])
			}
			k++
		}
		withCast()
		var err error
		o.walkShape(func(c shapeColumn, v any) {
			if err != nil || c.how == shapeNull {
				return
			}
			if v, err = bindValue(c.name, c.typ, v); err == nil {
				b.Comma().Arg(v)
				withCast()
			}
		})
		if err != nil {
			return o.ref.fail("", err)
		}
		b.WriteByte(')')
	}
	b.WriteString(") AS v")
	if d == dialect.Postgres {
		b.WriteByte('(').IdentComma(append([]string{e.IDColumn}, valueCols...)...).WriteByte(')')
	}
	b.WriteString(" WHERE t.").Ident(e.IDColumn).WriteString(" = ")
	vcol(0, e.IDColumn)
	if err := b.Err(); err != nil {
		return first.ref.fail("", err)
	}
	query, args := b.Query()
	var res stdsql.Result
	if err := a.drv.Exec(ctx, query, args, &res); err != nil {
		return first.ref.fail("", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return first.ref.fail("", err)
	}
	if int(n) != len(ops) {
		return notFound(ops)
	}
	return nil
}

// columnTypes returns the SQL types of the columns of a PostgreSQL table, read
// once per replay.
func (a *applier) columnTypes(ctx context.Context, table string) (map[string]string, error) {
	if t, ok := a.types[table]; ok {
		return t, nil
	}
	rows := &sql.Rows{}
	err := a.drv.Query(ctx, `SELECT attname, format_type(atttypid, -1) FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
		[]any{quoteIdent(table)}, rows)
	if err != nil {
		return nil, fmt.Errorf("entevents: replay: read the column types of %s: %w", table, err)
	}
	defer rows.Close()
	types := make(map[string]string)
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("entevents: replay: read the column types of %s: %w", table, err)
		}
		types[name] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("entevents: replay: read the column types of %s: %w", table, err)
	}
	if a.types == nil {
		a.types = make(map[string]map[string]string)
	}
	a.types[table] = types
	return types, nil
}
