package replay

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqlgraph"
	"entgo.io/ent/schema/field"

	"github.com/entevents/entevents/entevents/eventlog"
)

type kind int

const (
	kindCreate kind = iota
	kindUpsert
	kindUpdate
	kindDelete
)

func (k kind) String() string {
	return [...]string{"create", "upsert", "update", "delete"}[k]
}

// kindOf returns the operation of an action type; upsert data makes a create an
// upsert.
func kindOf(actionType string, upsert bool) (kind, bool) {
	switch actionType {
	case eventlog.TypeCreate:
		if upsert {
			return kindUpsert, true
		}
		return kindCreate, true
	case eventlog.TypeUpdate:
		return kindUpdate, true
	case eventlog.TypeDelete:
		return kindDelete, true
	}
	return 0, false
}

// ref names an event in errors.
type ref struct {
	id      any
	entity  string
	action  string
	version int
}

func refOf(st *eventlog.Stored) ref {
	return ref{id: st.ID, entity: st.Entity, action: st.Action, version: st.Version}
}

func (r ref) fail(field string, err error) error {
	var ee *eventlog.EventError
	if errors.As(err, &ee) && ee.EventID == r.id {
		return err
	}
	return &eventlog.EventError{EventID: r.id, Entity: r.entity, Action: r.action, Version: r.version, Field: field, Err: err}
}

// op is one event, decoded and ready to apply.
type op struct {
	ref    ref
	kind   kind
	entity *eventlog.Entity
	id     any
	change *eventlog.Change
	// data is the raw data document: updates with equal documents batch.
	data string
	// shape is the signature of the columns an update writes and how, "" if
	// the update cannot be applied with others of its shape (see walkShape):
	// updates with equal shapes batch.
	shape string
	// columns is the signature of a create's insert: creates with equal
	// signatures batch.
	columns string
	// params estimates the bind parameters the op adds to a batch.
	params int
	// solo ops are never batched with others.
	solo bool
}

// decodeOp decodes an event's data into an op on entity e. actionType is
// create, update or delete; upsert makes a create an upsert even if the data
// does not say so.
func decodeOp(r ref, e *eventlog.Entity, actionType string, upsert bool, recordID any, data []byte) (*op, error) {
	id, err := e.ParseRecordID(recordID)
	if err != nil {
		return nil, r.fail("", fmt.Errorf("%w: %v", eventlog.ErrDecode, err))
	}
	d, err := eventlog.ParseData(data)
	if err != nil {
		return nil, r.fail("", err)
	}
	k, ok := kindOf(actionType, upsert || d.Upsert)
	if !ok {
		return nil, r.fail("", fmt.Errorf("%w: action type %q", ErrUnknownAction, actionType))
	}
	o := &op{ref: r, kind: k, entity: e, id: id, data: string(data)}
	if k == kindDelete {
		// Deletes carry no data ({}).
		o.params = 1
		return o, nil
	}
	if d.Upsert && k != kindUpsert {
		return nil, r.fail("", fmt.Errorf("%w: upsert data in a %s event", eventlog.ErrDecode, k))
	}
	c, err := e.Decode(d)
	if err != nil {
		field := eventlog.FieldOf(err)
		if inner := errors.Unwrap(err); field != "" && inner != nil {
			err = inner // the EventError names the field
		}
		return nil, r.fail(field, err)
	}
	o.change = c
	if err := o.check(); err != nil {
		return nil, err
	}
	return o, nil
}

// check rejects changes the operation cannot carry and computes the batching
// attributes.
func (o *op) check() error {
	c := o.change
	bad := func(field, format string, args ...any) error {
		return o.ref.fail(field, fmt.Errorf("%w: "+format, append([]any{eventlog.ErrDecode}, args...)...))
	}
	o.params = 1 + len(c.Set) + len(c.Cleared) + len(c.Added)
	var (
		m2mTables []string
		columns   strings.Builder
	)
	create := o.kind == kindCreate || o.kind == kindUpsert
	if create {
		for _, fv := range c.Set {
			columns.WriteString(fv.Field.Column)
			columns.WriteByte(',')
		}
		for _, f := range c.Cleared {
			columns.WriteString(f.Column)
			columns.WriteString("=NULL,")
		}
		if len(c.Added) > 0 {
			return bad(c.Added[0].Field.Name, "numeric add in a %s event", o.kind)
		}
	}
	for _, eo := range c.Edges {
		ed := eo.Edge
		if ed.Unique && len(eo.Added) > 1 {
			return bad(ed.Name, "%d ids added to unique edge", len(eo.Added))
		}
		if create {
			if eo.Cleared || len(eo.Removed) > 0 {
				return bad(ed.Name, "edge cleared or removed in a %s event", o.kind)
			}
			if inTable(ed) && len(eo.Added) > 0 {
				columns.WriteString(ed.Columns[0])
				columns.WriteByte(',')
			}
			if ed.Target == o.entity.Name {
				// The target may be created in the same batch.
				o.solo = true
			}
		}
		if ed.Rel == sqlgraph.M2M {
			if slices.Contains(m2mTables, ed.Table) {
				// sqlgraph's batch insert takes one edge per join table.
				o.solo = true
			}
			m2mTables = append(m2mTables, ed.Table)
			o.params += 2 * (len(eo.Added) + len(eo.Removed))
		} else {
			o.params += len(eo.Added) + len(eo.Removed) + 1
			if o.kind == kindUpdate && !inTable(ed) {
				// UpdateNodes sets the foreign keys of other tables (O2M,
				// O2O) for one node only.
				o.solo = true
			}
		}
	}
	if o.kind == kindUpsert {
		o.solo = true
	}
	o.columns = columns.String()
	if o.kind == kindUpdate {
		o.shape = o.shapeKey()
	}
	return nil
}

// inTable reports whether the edge's foreign key is a column of the entity's own
// table (M2O, inverse or bidirectional O2O).
func inTable(ed *eventlog.Edge) bool {
	return ed.Rel == sqlgraph.M2O || ed.Rel == sqlgraph.O2O && (ed.Inverse || ed.Bidi)
}

func edgeSpec(ed *eventlog.Edge, nodes []any) *sqlgraph.EdgeSpec {
	es := &sqlgraph.EdgeSpec{
		Rel: ed.Rel, Inverse: ed.Inverse, Bidi: ed.Bidi, Table: ed.Table,
		Columns: append([]string(nil), ed.Columns...),
		Target:  &sqlgraph.EdgeTarget{IDSpec: sqlgraph.NewFieldSpec(ed.TargetIDCol, ed.TargetIDType)},
	}
	for _, n := range nodes {
		es.Target.Nodes = append(es.Target.Nodes, n)
	}
	return es
}

// nullType is the spec type of a NULL value: sqlgraph would encode a nil JSON
// value as the JSON text null.
func nullType(t field.Type) field.Type {
	if t == field.TypeJSON {
		return field.TypeOther
	}
	return t
}

func (o *op) createSpec() *sqlgraph.CreateSpec {
	e := o.entity
	spec := sqlgraph.NewCreateSpec(e.Table, &sqlgraph.FieldSpec{Column: e.IDColumn, Type: e.IDType, Value: o.id})
	for _, fv := range o.change.Set {
		spec.SetField(fv.Field.Column, fv.Field.Type, fv.Value)
	}
	for _, f := range o.change.Cleared {
		spec.SetField(f.Column, nullType(f.Type), nil)
	}
	for _, eo := range o.change.Edges {
		if len(eo.Added) > 0 {
			spec.Edges = append(spec.Edges, edgeSpec(eo.Edge, eo.Added))
		}
	}
	if o.kind == kindUpsert {
		spec.OnConflict = []sql.ConflictOption{sql.ConflictColumns(e.IDColumn), sql.ResolveWithNewValues()}
	}
	return spec
}

// updateSpec returns the spec of the update applied to ids; empty reports an
// update that changes nothing.
func (o *op) updateSpec(ids []driver.Value) (spec *sqlgraph.UpdateSpec, empty bool) {
	e := o.entity
	spec = sqlgraph.NewUpdateSpec(e.Table, e.Columns, sqlgraph.NewFieldSpec(e.IDColumn, e.IDType))
	spec.Predicate = func(s *sql.Selector) {
		if len(ids) == 1 {
			s.Where(sql.EQ(s.C(e.IDColumn), ids[0]))
		} else {
			s.Where(sql.InValues(s.C(e.IDColumn), ids...))
		}
	}
	c := o.change
	for _, fv := range c.Set {
		spec.SetField(fv.Field.Column, fv.Field.Type, fv.Value)
	}
	for _, f := range c.Cleared {
		spec.ClearField(f.Column, f.Type)
	}
	for _, fv := range c.Added {
		spec.AddField(fv.Field.Column, fv.Field.Type, fv.Value)
	}
	// The order of ent's generated update builders: clear, remove, add.
	for _, eo := range c.Edges {
		if eo.Cleared {
			spec.Edges.Clear = append(spec.Edges.Clear, edgeSpec(eo.Edge, nil))
		}
		if len(eo.Removed) > 0 && !eo.Cleared {
			spec.Edges.Clear = append(spec.Edges.Clear, edgeSpec(eo.Edge, eo.Removed))
		}
		if len(eo.Added) > 0 {
			spec.Edges.Add = append(spec.Edges.Add, edgeSpec(eo.Edge, eo.Added))
		}
	}
	empty = len(spec.Fields.Set)+len(spec.Fields.Clear)+len(spec.Fields.Add)+len(spec.Edges.Clear)+len(spec.Edges.Add) == 0
	return spec, empty
}

// maxBatchParams bounds the bind parameters of one batch, under SQLite's
// default limit of 32766 per statement.
const maxBatchParams = 30000

// maxBatchOps bounds the events of one batch.
const maxBatchOps = 2000

// batch is a run of consecutive events applied with one statement: creates of
// one entity with the same columns (sqlgraph.BatchCreate), updates of one entity
// with the same data (sqlgraph.UpdateNodes with id IN), updates of one entity
// with the same shape but their own values (applyShape: UPDATE ... FROM
// VALUES), deletes of one entity (sqlgraph.DeleteNodes with id IN). Its records
// are distinct: an event that touches a record already in the batch starts a
// new one. The batch is applied before the first event that cannot join it, so
// no event is applied before an earlier one on the same record; and the updates
// of a batch change their own rows only (a shape has no other), so that
// applying them together is applying them in order.
type batch struct {
	ops    []*op
	ids    map[any]struct{}
	params int
	// shapes allows batches of updates of the same shape (the dialect runs
	// them).
	shapes bool
}

func (b *batch) accepts(o *op) bool {
	if len(b.ops) == 0 {
		return true
	}
	first := b.ops[0]
	if o.solo || first.solo || o.kind != first.kind || o.entity != first.entity ||
		len(b.ops) >= maxBatchOps || b.params+o.params > maxBatchParams {
		return false
	}
	if _, dup := b.ids[o.id]; dup {
		return false
	}
	switch o.kind {
	case kindCreate:
		return o.columns == first.columns
	case kindUpdate:
		// Equal data is an equal shape: a batch of one shape takes updates
		// identical to its first too.
		return o.data == first.data || b.shapes && o.shape != "" && o.shape == first.shape
	}
	return true
}

func (b *batch) add(o *op) {
	if b.ids == nil {
		b.ids = make(map[any]struct{})
	}
	b.ops = append(b.ops, o)
	b.ids[o.id] = struct{}{}
	b.params += o.params
}

func (b *batch) reset() {
	clear(b.ops)
	b.ops = b.ops[:0]
	clear(b.ids)
	b.params = 0
}

// applier applies ops through the replay's transaction.
type applier struct {
	drv     dialect.Driver // the transaction, as sqlgraph takes it
	pending batch
	// maxIDs holds the highest integer id created per entity, for the
	// PostgreSQL sequences.
	maxIDs map[*eventlog.Entity]int64
	// savepoints counts the savepoints taken, to name them.
	savepoints int
	// types caches the column types of PostgreSQL tables (columnTypes).
	types map[string]map[string]string
}

func newApplier(drv dialect.Driver) *applier {
	return &applier{drv: drv, pending: batch{shapes: shapeSupported(drv.Dialect())}, maxIDs: make(map[*eventlog.Entity]int64)}
}

// enqueue adds o to the pending batch, applying the batch first if o cannot
// join it.
func (a *applier) enqueue(ctx context.Context, o *op) error {
	if !a.pending.accepts(o) {
		if err := a.flush(ctx); err != nil {
			return err
		}
	}
	a.pending.add(o)
	return nil
}

// flush applies the pending batch. A batch of several events runs under a
// savepoint: if it fails, its events are applied one by one, so that the error
// names the event at fault (or, should only the batch fail, the events are
// applied all the same).
func (a *applier) flush(ctx context.Context) error {
	ops := a.pending.ops
	if len(ops) == 0 {
		return nil
	}
	defer a.pending.reset()
	if len(ops) == 1 {
		return a.apply(ctx, ops)
	}
	a.savepoints++
	name := fmt.Sprintf("entevents_replay_%d", a.savepoints)
	if err := a.drv.Exec(ctx, "SAVEPOINT "+name, []any{}, nil); err != nil {
		return ops[0].ref.fail("", err)
	}
	err := a.apply(ctx, ops)
	if err == nil {
		if err := a.drv.Exec(ctx, "RELEASE SAVEPOINT "+name, []any{}, nil); err != nil {
			return ops[0].ref.fail("", err)
		}
		return nil
	}
	if rerr := a.drv.Exec(ctx, "ROLLBACK TO SAVEPOINT "+name, []any{}, nil); rerr != nil {
		return err
	}
	for _, o := range ops {
		if ierr := a.apply(ctx, []*op{o}); ierr != nil {
			return ierr
		}
	}
	// Applied one by one, in order, the events went through: that is the
	// state they describe.
	return nil
}

// apply applies ops, which form a batch.
func (a *applier) apply(ctx context.Context, ops []*op) error {
	first := ops[0]
	e := first.entity
	ids := make([]driver.Value, len(ops))
	for i, o := range ops {
		ids[i] = o.id
	}
	switch first.kind {
	case kindCreate, kindUpsert:
		if len(ops) == 1 {
			if err := sqlgraph.CreateNode(ctx, a.drv, first.createSpec()); err != nil {
				return first.ref.fail("", err)
			}
		} else {
			spec := &sqlgraph.BatchCreateSpec{Nodes: make([]*sqlgraph.CreateSpec, len(ops))}
			for i, o := range ops {
				spec.Nodes[i] = o.createSpec()
			}
			if err := sqlgraph.BatchCreate(ctx, a.drv, spec); err != nil {
				return first.ref.fail("", err)
			}
		}
		if e.IDType.Numeric() {
			for _, o := range ops {
				if n, ok := eventlog.Int64(o.id); ok && n > a.maxIDs[e] {
					a.maxIDs[e] = n
				}
			}
		}
	case kindUpdate:
		if len(ops) > 1 && slices.ContainsFunc(ops[1:], func(o *op) bool { return o.data != first.data }) {
			return a.applyMixed(ctx, ops)
		}
		spec, empty := first.updateSpec(ids)
		if empty {
			return a.ensureExist(ctx, ops)
		}
		n, err := sqlgraph.UpdateNodes(ctx, a.drv, spec)
		if err != nil {
			return first.ref.fail("", err)
		}
		if n != len(ids) {
			return notFound(ops)
		}
	case kindDelete:
		spec := sqlgraph.NewDeleteSpec(e.Table, sqlgraph.NewFieldSpec(e.IDColumn, e.IDType))
		spec.Predicate = func(s *sql.Selector) {
			s.Where(sql.InValues(s.C(e.IDColumn), ids...))
		}
		n, err := sqlgraph.DeleteNodes(ctx, a.drv, spec)
		if err != nil {
			return first.ref.fail("", err)
		}
		if n != len(ids) {
			return notFound(ops)
		}
	}
	return nil
}

// ensureExist checks that the records of an update that changes nothing exist.
func (a *applier) ensureExist(ctx context.Context, ops []*op) error {
	n, err := a.count(ctx, ops)
	if err != nil {
		return ops[0].ref.fail("", err)
	}
	if n != len(ops) {
		return notFound(ops)
	}
	return nil
}

func (a *applier) count(ctx context.Context, ops []*op) (int, error) {
	e := ops[0].entity
	ids := make([]any, len(ops))
	for i, o := range ops {
		ids[i] = o.id
	}
	b := sql.Dialect(a.drv.Dialect())
	query, args := b.Select(sql.Count("*")).From(sql.Table(e.Table)).Where(sql.In(e.IDColumn, ids...)).Query()
	rows := &sql.Rows{}
	if err := a.drv.Query(ctx, query, args, rows); err != nil {
		return 0, err
	}
	defer rows.Close()
	return sql.ScanInt(rows)
}

// notFound reports records of ops that do not exist. For a batch it cannot tell
// which: flush then applies the events one by one to name it.
func notFound(ops []*op) error {
	o := ops[0]
	if len(ops) == 1 {
		return o.ref.fail("", fmt.Errorf("%w: %s %v", ErrRecordNotFound, o.entity.Name, o.id))
	}
	return o.ref.fail("", fmt.Errorf("%w: some of %d %s records", ErrRecordNotFound, len(ops), o.entity.Name))
}
