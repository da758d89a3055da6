package replay

import (
	"context"
	"fmt"
	"slices"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqlgraph"

	"github.com/entevents/entevents/entevents/eventlog"
)

// ClearTracked deletes every row of the tracked tables of client's package and
// of their M2M join tables, in foreign-key-safe order (join tables first, then a
// table before the tables it references), with one DELETE per table. It is the
// default clear step of Run and works with foreign keys enforced (SQLite with
// foreign_keys on, PostgreSQL).
//
// Rows of untracked tables are not deleted: a foreign key from an untracked
// table to a tracked one makes its rows follow the key's ON DELETE action (ent's
// default SET NULL) or, with RESTRICT/NO ACTION, fails the clear. Use ClearWith
// for such schemas. ClearTracked runs through client: inside Run, ClearWith
// passes the transaction-bound client.
func ClearTracked[C Client[C]](ctx context.Context, client C) error {
	drv := client.EnteventsDriver()
	b := sql.Dialect(drv.Dialect())
	for _, table := range ClearOrder(client.Entevents()) {
		query, args := b.Delete(table).Query()
		if err := drv.Exec(ctx, query, args, nil); err != nil {
			return fmt.Errorf("entevents: replay: clear table %s: %w", table, err)
		}
	}
	return nil
}

// ClearOrder returns the tables ClearTracked empties, in the order it empties
// them: the M2M join tables of the tracked entities (sorted), then the tracked
// tables, each before the tables it references through a foreign key. Tables in
// a reference cycle keep a stable order among themselves; their foreign keys
// must allow it (ent's default ON DELETE SET NULL does).
func ClearOrder(b *eventlog.Binding) []string {
	var (
		joins    []string
		tables   []string
		tracked  = make(map[string]bool)
		refs     = make(map[string]map[string]bool) // table -> tables it references
		entityOf = make(map[string]*eventlog.Entity)
	)
	for _, e := range b.Entities() {
		tracked[e.Table] = true
		entityOf[e.Name] = e
		if !slices.Contains(tables, e.Table) {
			tables = append(tables, e.Table)
		}
	}
	addRef := func(from, to string) {
		if from == to || !tracked[from] || !tracked[to] {
			return
		}
		if refs[from] == nil {
			refs[from] = make(map[string]bool)
		}
		refs[from][to] = true
	}
	for _, e := range b.Entities() {
		for _, ed := range e.Edges {
			if ed.Rel == sqlgraph.M2M {
				if !slices.Contains(joins, ed.Table) {
					joins = append(joins, ed.Table)
				}
				continue
			}
			target := entityOf[ed.Target]
			if target == nil {
				continue
			}
			// The foreign key is in ed.Table: the entity's own table for M2O and
			// inverse or bidirectional O2O edges, the target's otherwise.
			if inTable(ed) {
				addRef(e.Table, target.Table)
			} else {
				addRef(target.Table, e.Table)
			}
		}
	}
	slices.Sort(joins)
	slices.Sort(tables)
	// Kahn's algorithm over "is referenced by": a table goes once no remaining
	// table references it.
	order := make([]string, 0, len(tables))
	done := make(map[string]bool, len(tables))
	for len(order) < len(tables) {
		next := ""
		for _, t := range tables {
			if done[t] {
				continue
			}
			referenced := false
			for _, other := range tables {
				if !done[other] && other != t && refs[other][t] {
					referenced = true
					break
				}
			}
			if !referenced {
				next = t
				break
			}
		}
		if next == "" {
			// A cycle: take the first remaining table.
			for _, t := range tables {
				if !done[t] {
					next = t
					break
				}
			}
		}
		done[next] = true
		order = append(order, next)
	}
	return append(joins, order...)
}
