package history

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/entevents/entevents/entevents/eventlog"
)

// Diff is what one update event changed on its record.
type Diff struct {
	// Event is the update event.
	Event *Event
	// Fields lists the fields the update set, cleared or added to, in the
	// entity's field order.
	Fields []FieldDiff
	// Edges lists the edges the update changed, in the entity's edge order.
	Edges []EdgeDiff
}

// FieldDiff is the change of one field: Old → New. A nil Old or New is NULL, or
// a value the log does not know (a sensitive field, see Redacted).
type FieldDiff struct {
	// Field is the field name.
	Field string
	// Old is the value before the update, from the record's earlier events.
	Old any
	// New is the value after the update. For AddX it is the resulting value.
	New any
	// Delta is the amount an AddX added, nil for a set or a clear.
	Delta any
	// Redacted reports that the update set a sensitive value that the event left
	// out: New is unknown.
	Redacted bool
}

// String formats the change as "field: old → new".
func (d FieldDiff) String() string {
	switch {
	case d.Redacted:
		return fmt.Sprintf("%s: %s → (redacted)", d.Field, formatValue(d.Old))
	case d.Delta != nil:
		return fmt.Sprintf("%s: %s → %s (%s)", d.Field, formatValue(d.Old), formatValue(d.New), signed(d.Delta))
	}
	return fmt.Sprintf("%s: %s → %s", d.Field, formatValue(d.Old), formatValue(d.New))
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return fmt.Sprintf("%q", x)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprintf("%v", v)
}

// signed formats a numeric delta with its sign.
func signed(v any) string {
	rv := reflect.ValueOf(v)
	switch {
	case isInt(rv.Kind()):
		return fmt.Sprintf("%+d", rv.Int())
	case isUint(rv.Kind()):
		return fmt.Sprintf("+%d", rv.Uint())
	case isFloat(rv.Kind()):
		return fmt.Sprintf("%+g", rv.Float())
	}
	return fmt.Sprint(v)
}

// EdgeDiff is the change of one edge: the ids the update linked and unlinked.
type EdgeDiff struct {
	// Edge is the edge name.
	Edge string
	// Added and Removed are the ids linked and unlinked, as far as the record's
	// own events tell (see the package documentation): replacing the id of a
	// unique edge removes the former one.
	Added   []any
	Removed []any
	// Cleared reports that the update cleared the edge; ids linked by mutations
	// of other records are not in Removed.
	Cleared bool
}

// String formats the change as "edge: +[ids] -[ids]".
func (d EdgeDiff) String() string {
	var b strings.Builder
	b.WriteString(d.Edge + ":")
	if d.Cleared {
		b.WriteString(" cleared")
	}
	if len(d.Added) > 0 {
		fmt.Fprintf(&b, " +%v", d.Added)
	}
	if len(d.Removed) > 0 {
		fmt.Fprintf(&b, " -%v", d.Removed)
	}
	return b.String()
}

// Diffs returns what each update of the record of entity with id id changed,
// oldest first: one Diff per update event, and per upsert that hit the existing
// record (its diff lists the fields whose value changed). Old values come from
// the fold of the record's earlier events (see AsOf); creates and deletes have no
// diff.
func Diffs(ctx context.Context, c Client, entity string, id any) ([]*Diff, error) {
	var diffs []*Diff
	_, err := foldRecord(ctx, c, entity, id, &Query{}, func(before, after *State, ev *Event) error {
		switch {
		case ev.ActionType == eventlog.TypeUpdate:
			diffs = append(diffs, diff(c.Entevents().Entity(entity), before, after, ev, false))
		case ev.ActionType == eventlog.TypeCreate && ev.Change.Upsert && before.Exists:
			diffs = append(diffs, diff(c.Entevents().Entity(entity), before, after, ev, true))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return diffs, nil
}

// diff compares the states around ev. An upsert records the whole row: only the
// fields whose value changed are listed.
func diff(e *eventlog.Entity, before, after *State, ev *Event, upsert bool) *Diff {
	ch := ev.Change
	touched := map[string]bool{}
	deltas := map[string]any{}
	for _, fv := range ch.Set {
		touched[fv.Field.Name] = true
	}
	for _, f := range ch.Cleared {
		touched[f.Name] = true
	}
	for _, fv := range ch.Added {
		touched[fv.Field.Name] = true
		deltas[fv.Field.Name] = fv.Value
	}
	for _, name := range ch.Redacted {
		touched[name] = true
	}
	d := &Diff{Event: ev}
	for _, f := range e.Fields {
		if !touched[f.Name] {
			continue
		}
		fd := FieldDiff{Field: f.Name, Old: before.Fields[f.Name], New: after.Fields[f.Name], Delta: deltas[f.Name]}
		fd.Redacted = slices.Contains(ch.Redacted, f.Name)
		if upsert && !fd.Redacted && reflect.DeepEqual(fd.Old, fd.New) {
			continue
		}
		d.Fields = append(d.Fields, fd)
	}
	for _, op := range ch.Edges {
		old, cur := before.Edges[op.Edge.Name], after.Edges[op.Edge.Name]
		ed := EdgeDiff{Edge: op.Edge.Name, Cleared: op.Cleared}
		for _, id := range cur {
			if !slices.Contains(old, id) {
				ed.Added = append(ed.Added, id)
			}
		}
		for _, id := range old {
			if !slices.Contains(cur, id) {
				ed.Removed = append(ed.Removed, id)
			}
		}
		d.Edges = append(d.Edges, ed)
	}
	return d
}
