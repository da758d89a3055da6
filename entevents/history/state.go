package history

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/entevents/entevents/entevents/eventlog"
)

// State is the state of one record at a point of its history, folded from the
// record's own events.
type State struct {
	// Entity and ID name the record; ID is of the entity's id type.
	Entity string
	ID     any
	// Exists reports whether the record existed: it had been created (or first
	// seen updated) and not deleted since.
	Exists bool
	// Fields holds the value of every non-NULL field by field name, typed as the
	// entity's field (string, int, time.Time, an enum type, a JSON field's type,
	// ...). A nillable or optional field that is NULL is absent. Empty when the
	// record does not exist.
	Fields map[string]any
	// Edges holds the ids of the record's edges by edge name, in the order they
	// were added, as the record's own events changed them (see the package
	// documentation). Edges with an edge field are not listed: the field holds
	// the id. Empty edges are absent.
	Edges map[string][]any
	// Unknown lists, sorted, the fields whose value the events do not tell:
	// sensitive fields left out of the events, and numeric adds to such a value.
	// They are absent from Fields.
	Unknown []string
	// Partial reports that the record's history does not start with its create
	// (the log was enabled after the record was created): Fields then holds only
	// what later events set.
	Partial bool
	// EventID and OccurredAt are those of the last event folded; EventID is nil
	// when no event was folded.
	EventID    any
	OccurredAt time.Time
	// Events is the number of events folded.
	Events int
}

// Value returns the value of the named field and whether it has one (false for
// NULL, unknown or a record that does not exist).
func (s *State) Value(name string) (any, bool) {
	v, ok := s.Fields[name]
	return v, ok
}

// AsOf returns the state of the record of entity with id id as it was at time at:
// the fold of its events that occurred at or before at. Without such events the
// state does not exist. id is of the entity's id type or convertible to it.
func AsOf(ctx context.Context, c Client, entity string, id any, at time.Time) (*State, error) {
	if at.IsZero() {
		return nil, fmt.Errorf("%w: zero time", ErrInvalidQuery)
	}
	// Stored times have at most nanosecond precision: < at+1ns is <= at.
	return foldRecord(ctx, c, entity, id, &Query{Before: at.Add(time.Nanosecond)}, nil)
}

// AsOfEvent returns the state of the record of entity with id id just after the
// event eventID: the fold of its events up to and including that id. The event
// need not belong to the record; any point of the log may be given.
func AsOfEvent(ctx context.Context, c Client, entity string, id any, eventID any) (*State, error) {
	if eventID == nil {
		return nil, fmt.Errorf("%w: nil event id", ErrInvalidQuery)
	}
	return foldRecord(ctx, c, entity, id, &Query{UntilID: eventID}, nil)
}

// Current returns the state of the record after all its events: what the log
// says the record is now.
func Current(ctx context.Context, c Client, entity string, id any) (*State, error) {
	return foldRecord(ctx, c, entity, id, &Query{}, nil)
}

// foldRecord folds the events of one record that q also selects, calling each (if
// set) with the states before and after each event.
func foldRecord(ctx context.Context, c Client, entity string, id any, q *Query, each func(before, after *State, ev *Event) error) (*State, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil client", ErrInvalidQuery)
	}
	e := c.Entevents().Entity(entity)
	if e == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownEntity, entity)
	}
	if id == nil {
		return nil, fmt.Errorf("%w: nil record id", ErrInvalidQuery)
	}
	typed, err := entityID(e, id)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidQuery, err)
	}
	q.Entity, q.RecordID, q.Raw, q.Page = entity, typed, false, Page{}
	st := newState(e, typed)
	for ev, err := range All(ctx, c, q) {
		if err != nil {
			return nil, err
		}
		// Guard against drivers whose time comparison is not chronological.
		if !q.Before.IsZero() && !ev.OccurredAt.Before(q.Before) {
			continue
		}
		var before *State
		if each != nil {
			before = st.clone()
		}
		if err := st.apply(e, ev); err != nil {
			return nil, err
		}
		if each != nil {
			if err := each(before, st, ev); err != nil {
				return nil, err
			}
		}
	}
	return st, nil
}

func newState(e *eventlog.Entity, id any) *State {
	return &State{Entity: e.Name, ID: id, Fields: map[string]any{}, Edges: map[string][]any{}}
}

// apply folds one event of the record into s.
func (s *State) apply(e *eventlog.Entity, ev *Event) error {
	ch := ev.Change
	if ch == nil {
		return &eventlog.EventError{EventID: ev.ID, Entity: ev.Entity, Action: ev.Action, Version: ev.Version,
			Err: fmt.Errorf("%w: no decoded data", eventlog.ErrDecode)}
	}
	switch ev.ActionType {
	case eventlog.TypeCreate:
		// A create holds every field (defaults included); an upsert the whole
		// resulting row. Edges start empty unless an upsert hit an existing row.
		if !ch.Upsert || !s.Exists {
			s.Edges = map[string][]any{}
		}
		s.Fields, s.Unknown = map[string]any{}, nil
		s.Exists, s.Partial = true, false
	case eventlog.TypeUpdate:
		if !s.Exists {
			s.Exists, s.Partial = true, true
		}
	case eventlog.TypeDelete:
		s.Exists, s.Partial = false, false
		s.Fields, s.Edges, s.Unknown = map[string]any{}, map[string][]any{}, nil
	default:
		return &eventlog.EventError{EventID: ev.ID, Entity: ev.Entity, Action: ev.Action, Version: ev.Version,
			Err: fmt.Errorf("%w: unknown action type %q", eventlog.ErrDecode, ev.ActionType)}
	}
	if ev.ActionType != eventlog.TypeDelete {
		for _, fv := range ch.Set {
			s.Fields[fv.Field.Name] = fv.Value
			s.known(fv.Field.Name)
		}
		for _, f := range ch.Cleared {
			delete(s.Fields, f.Name)
			s.known(f.Name)
		}
		for _, fv := range ch.Added {
			name := fv.Field.Name
			if slices.Contains(s.Unknown, name) || (s.Partial && s.Fields[name] == nil) {
				delete(s.Fields, name)
				s.unknown(name)
				continue
			}
			sum, err := add(fv.Field, s.Fields[name], fv.Value)
			if err != nil {
				return &eventlog.EventError{EventID: ev.ID, Entity: ev.Entity, Action: ev.Action, Version: ev.Version, Field: name, Err: err}
			}
			s.Fields[name] = sum
		}
		for _, name := range ch.Redacted {
			delete(s.Fields, name)
			s.unknown(name)
		}
		for _, op := range ch.Edges {
			s.applyEdge(op)
		}
	}
	s.EventID, s.OccurredAt = ev.ID, ev.OccurredAt
	s.Events++
	return nil
}

func (s *State) known(name string) {
	if i := slices.Index(s.Unknown, name); i >= 0 {
		s.Unknown = slices.Delete(s.Unknown, i, i+1)
	}
}

func (s *State) unknown(name string) {
	if i, found := slices.BinarySearch(s.Unknown, name); !found {
		s.Unknown = slices.Insert(s.Unknown, i, name)
	}
}

// applyEdge applies an edge change as ent executes it: clear, remove, then add;
// adding to a unique edge replaces its id.
func (s *State) applyEdge(op eventlog.EdgeOp) {
	name := op.Edge.Name
	ids := s.Edges[name]
	if op.Cleared {
		ids = nil
	}
	for _, id := range op.Removed {
		ids = slices.DeleteFunc(ids, func(x any) bool { return x == id })
	}
	for _, id := range op.Added {
		switch {
		case op.Edge.Unique:
			ids = []any{id}
		case !slices.Contains(ids, id):
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		delete(s.Edges, name)
		return
	}
	s.Edges[name] = ids
}

// add returns old + delta for a numeric field f, as ent's AddX does in SQL
// (COALESCE(column, 0) + delta): a NULL old value counts as 0. The sum has the
// field's type; the delta may be of another numeric type (ent's AddX of an
// unsigned field takes its signed counterpart).
func add(f *eventlog.Field, old, delta any) (any, error) {
	if old == nil {
		zero, err := f.Decode(json.RawMessage("0"))
		if err != nil {
			return nil, fmt.Errorf("%w: add to non-numeric field %s: %v", eventlog.ErrDecode, f.Name, err)
		}
		old = zero
	}
	a, b := reflect.ValueOf(old), reflect.ValueOf(delta)
	sum := reflect.New(a.Type()).Elem()
	switch {
	case isInt(a.Kind()) && isInt(b.Kind()):
		sum.SetInt(a.Int() + b.Int())
	case isInt(a.Kind()) && isUint(b.Kind()):
		sum.SetInt(a.Int() + int64(b.Uint()))
	case isUint(a.Kind()) && isUint(b.Kind()):
		sum.SetUint(a.Uint() + b.Uint())
	case isUint(a.Kind()) && isInt(b.Kind()):
		sum.SetUint(a.Uint() + uint64(b.Int()))
	case isFloat(a.Kind()) && (isFloat(b.Kind()) || isInt(b.Kind()) || isUint(b.Kind())):
		sum.SetFloat(a.Float() + toFloat(b))
	default:
		return nil, fmt.Errorf("%w: cannot add %T to a value of type %T", eventlog.ErrDecode, delta, old)
	}
	return sum.Interface(), nil
}

func toFloat(v reflect.Value) float64 {
	switch {
	case isInt(v.Kind()):
		return float64(v.Int())
	case isUint(v.Kind()):
		return float64(v.Uint())
	}
	return v.Float()
}

func isInt(k reflect.Kind) bool { return k >= reflect.Int && k <= reflect.Int64 }

func isUint(k reflect.Kind) bool { return k >= reflect.Uint && k <= reflect.Uintptr }

func isFloat(k reflect.Kind) bool { return k == reflect.Float32 || k == reflect.Float64 }

// clone returns a copy of s whose maps and slices are its own.
func (s *State) clone() *State {
	c := *s
	c.Fields = make(map[string]any, len(s.Fields))
	for k, v := range s.Fields {
		c.Fields[k] = v
	}
	c.Edges = make(map[string][]any, len(s.Edges))
	for k, v := range s.Edges {
		c.Edges[k] = slices.Clone(v)
	}
	c.Unknown = slices.Clone(s.Unknown)
	return &c
}
