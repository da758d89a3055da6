package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/entevents/entevents/entevents/eventlog"
)

// Client is what history needs of a generated ent client: the package's binding
// and a driver to read with. The generated *ent.Client implements it, and so does
// the client of a transaction (tx.Client()), whose reads then run in that
// transaction. Events of a transaction are written when it commits: a reader in
// the transaction does not see the events of its own uncommitted mutations.
type Client interface {
	// Entevents returns the binding of the generated package.
	Entevents() *eventlog.Binding
	// EnteventsDriver returns the driver of the client.
	EnteventsDriver() dialect.Driver
}

var (
	// ErrInvalidQuery is returned for a query that cannot be run, such as a record
	// id without an entity or an actor column the log does not have.
	ErrInvalidQuery = errors.New("entevents: invalid history query")
	// ErrUnknownEntity is returned by AsOf, AsOfEvent and Diffs for an entity that
	// the generated package does not track: its events cannot be decoded.
	ErrUnknownEntity = errors.New("entevents: entity is not tracked by the generated package")
)

// Event is an event read from the log, decrypted and decoded.
type Event struct {
	// ID is the event id: an int64, or a uuid.UUID for a log with UUIDv7 ids.
	ID any
	// RecordID is the id of the record, of the entity's id type (int, uuid.UUID,
	// ...). For an entity the package no longer tracks it is the stored value.
	RecordID any
	// Entity is the schema name of the record's entity.
	Entity string
	// Action is the action name; ActionType is create, update or delete.
	Action     string
	ActionType string
	// Version is the version of the action.
	Version int
	// OccurredAt is the time the event was recorded, in UTC.
	OccurredAt time.Time
	// ActorColumn is the actor column that holds the actor, "" when the event has
	// none; Actor is the stored value (e.g. the int64 id of a user actor, or the
	// string of an entevents.System actor).
	ActorColumn string
	Actor       any
	// Metadata is the metadata given with entevents.WithMetadata, empty when
	// none. Numbers are json.Number, so that they keep their precision.
	Metadata map[string]any
	// ChangedFields lists the names of the fields and edges the event changed.
	ChangedFields []string
	// Change is the decoded data. It is nil when the entity is not tracked by the
	// package (any more) or when the query asked for Raw events.
	Change *eventlog.Change
	// Data is the plaintext JSON document of the data column (see eventlog.Data).
	Data json.RawMessage
}

// Page selects a window of a list, by keyset pagination on the event id.
type Page struct {
	// AfterID continues a list after the event with this id (before it when
	// Desc). Pass the ID of the last event of the previous page. Defaults to the
	// start of the list.
	AfterID any
	// Limit is the most events returned. Defaults to no limit (Find) or to every
	// matching event (All).
	Limit int
	// Desc lists newest events first. Defaults to oldest first (commit order).
	Desc bool
}

// Query selects events of the log. Its conditions are combined with AND; the zero
// Query selects every event, oldest first.
type Query struct {
	// Entity selects the events of one entity (its schema name, e.g. "User").
	Entity string
	// RecordID selects the events of one record of Entity. It is the record's id,
	// of the entity's id type or any value convertible to it (42, int64(42),
	// "42"; a uuid.UUID or its string form).
	RecordID any
	// Actor selects the events recorded with this actor: a value as given to
	// entevents.WithActor, such as a *ent.User or an entevents.System. The log maps
	// it to its actor column and stored value.
	Actor any
	// ActorColumn and ActorValue select the events whose actor column holds
	// ActorValue, e.g. "user_id" and 42.
	ActorColumn string
	ActorValue  any
	// Since selects events that occurred at or after Since.
	Since time.Time
	// Before selects events that occurred strictly before Before.
	Before time.Time
	// UntilID selects events up to and including this event id.
	UntilID any
	// Raw skips decoding the data: Event.Change stays nil and events whose data
	// no longer matches the schema are returned rather than failing.
	Raw bool
	Page
}

// Find returns the events that q selects. A nil q selects every event.
func Find(ctx context.Context, c Client, q *Query) ([]*Event, error) {
	if q == nil {
		q = &Query{}
	}
	r, err := newReader(c, q)
	if err != nil {
		return nil, err
	}
	return r.page(ctx, q.AfterID, q.Limit)
}

// All returns an iterator over the events that q selects, read from the log in
// pages so that memory does not grow with the log. q.Limit, when set, caps the
// number of events. Each page is read completely before its events are yielded:
// the loop body may query the database. Iteration stops at the first error,
// which is yielded with a nil event.
func All(ctx context.Context, c Client, q *Query) iter.Seq2[*Event, error] {
	return all(ctx, c, q, pageSize)
}

func all(ctx context.Context, c Client, q *Query, size int) iter.Seq2[*Event, error] {
	return func(yield func(*Event, error) bool) {
		if q == nil {
			q = &Query{}
		}
		r, err := newReader(c, q)
		if err != nil {
			yield(nil, err)
			return
		}
		after, left := q.AfterID, q.Limit
		for {
			n := size
			if q.Limit > 0 {
				n = min(n, left)
			}
			evs, err := r.page(ctx, after, n)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, ev := range evs {
				if !yield(ev, nil) {
					return
				}
			}
			if len(evs) < n {
				return
			}
			after = evs[len(evs)-1].ID
			if q.Limit > 0 {
				if left -= len(evs); left == 0 {
					return
				}
			}
		}
	}
}

// pageSize is the number of events All and the folds read per query.
const pageSize = 500

// Of returns the history of one record: the events of entity whose record id is
// id, oldest first unless page says otherwise. id is of the entity's id type or
// convertible to it, e.g. Of(ctx, client, "User", 42, nil).
func Of(ctx context.Context, c Client, entity string, id any, page *Page) ([]*Event, error) {
	if id == nil {
		return nil, fmt.Errorf("%w: nil record id", ErrInvalidQuery)
	}
	return Find(ctx, c, &Query{Entity: entity, RecordID: id, Page: orZero(page)})
}

// ByActor returns the events recorded with actor, a value as given to
// entevents.WithActor (e.g. a *ent.User, or entevents.System("billing")). An actor
// that no actor column accepts is an error matching eventlog.ErrUnknownActor.
func ByActor(ctx context.Context, c Client, actor any, page *Page) ([]*Event, error) {
	if actor == nil {
		return nil, fmt.Errorf("%w: nil actor", ErrInvalidQuery)
	}
	return Find(ctx, c, &Query{Actor: actor, Page: orZero(page)})
}

// ByActorColumn returns the events whose actor column holds value, e.g.
// ByActorColumn(ctx, client, "user_id", 42, nil).
func ByActorColumn(ctx context.Context, c Client, column string, value any, page *Page) ([]*Event, error) {
	return Find(ctx, c, &Query{ActorColumn: column, ActorValue: value, Page: orZero(page)})
}

// ByEntity returns the events of every record of entity (its schema name).
func ByEntity(ctx context.Context, c Client, entity string, page *Page) ([]*Event, error) {
	if entity == "" {
		return nil, fmt.Errorf("%w: empty entity", ErrInvalidQuery)
	}
	return Find(ctx, c, &Query{Entity: entity, Page: orZero(page)})
}

// Between returns the events that occurred in [since, before). A zero bound is
// open.
func Between(ctx context.Context, c Client, since, before time.Time, page *Page) ([]*Event, error) {
	return Find(ctx, c, &Query{Since: since, Before: before, Page: orZero(page)})
}

func orZero(p *Page) Page {
	if p == nil {
		return Page{}
	}
	return *p
}

// reader runs one query against the events table.
type reader struct {
	binding *eventlog.Binding
	log     *eventlog.Log
	drv     dialect.Driver
	vault   eventlog.Vault // the client's vault override; nil: the EventLog's
	preds   []*sql.Predicate
	desc    bool
	raw     bool
}

func newReader(c Client, q *Query) (*reader, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil client", ErrInvalidQuery)
	}
	b := c.Entevents()
	if b == nil || b.Log == nil {
		return nil, fmt.Errorf("%w: the client has no entevents binding", ErrInvalidQuery)
	}
	r := &reader{binding: b, log: b.Log, drv: c.EnteventsDriver(), vault: eventlog.VaultOf(c), desc: q.Desc, raw: q.Raw}
	if r.drv == nil {
		return nil, fmt.Errorf("%w: the client has no driver", ErrInvalidQuery)
	}
	if q.Limit < 0 {
		return nil, fmt.Errorf("%w: negative limit %d", ErrInvalidQuery, q.Limit)
	}
	if q.Entity != "" {
		r.preds = append(r.preds, sql.EQ(eventlog.ColumnEntity, q.Entity))
	}
	if q.RecordID != nil {
		if q.Entity == "" {
			return nil, fmt.Errorf("%w: RecordID needs an Entity", ErrInvalidQuery)
		}
		rid, err := recordIDArg(b, q.Entity, q.RecordID)
		if err != nil {
			return nil, fmt.Errorf("%w: %s id: %v", ErrInvalidQuery, q.Entity, err)
		}
		r.preds = append(r.preds, sql.EQ(eventlog.ColumnRecordID, rid))
	}
	if q.Actor != nil {
		col, v, ok := "", any(nil), false
		if r.log.Actor != nil {
			col, v, ok = r.log.Actor(q.Actor)
		}
		if !ok {
			return nil, fmt.Errorf("%w: actor of type %T", eventlog.ErrUnknownActor, q.Actor)
		}
		r.preds = append(r.preds, sql.EQ(col, v))
	}
	if q.ActorColumn != "" || q.ActorValue != nil {
		i := slices.IndexFunc(r.log.Actors, func(a eventlog.ActorColumn) bool { return a.Column == q.ActorColumn })
		if i < 0 {
			return nil, fmt.Errorf("%w: %q is not an actor column of %s", ErrInvalidQuery, q.ActorColumn, r.log.Table)
		}
		v, err := actorArg(r.log.Actors[i], q.ActorValue)
		if err != nil {
			return nil, fmt.Errorf("%w: actor column %q: %v", ErrInvalidQuery, q.ActorColumn, err)
		}
		r.preds = append(r.preds, sql.EQ(q.ActorColumn, v))
	}
	if !q.Since.IsZero() {
		r.preds = append(r.preds, sql.GTE(eventlog.ColumnOccurredAt, q.Since.UTC()))
	}
	if !q.Before.IsZero() {
		r.preds = append(r.preds, sql.LT(eventlog.ColumnOccurredAt, q.Before.UTC()))
	}
	if q.UntilID != nil {
		id, err := eventIDArg(r.log, q.UntilID)
		if err != nil {
			return nil, fmt.Errorf("%w: UntilID: %v", ErrInvalidQuery, err)
		}
		r.preds = append(r.preds, sql.LTE(eventlog.ColumnID, id))
	}
	return r, nil
}

// columns are the columns read, in scan order; actor columns follow.
var columns = []string{
	eventlog.ColumnID, eventlog.ColumnRecordID, eventlog.ColumnEntity, eventlog.ColumnAction,
	eventlog.ColumnActionType, eventlog.ColumnVersion, eventlog.ColumnData, eventlog.ColumnChangedFields,
	eventlog.ColumnMetadata, eventlog.ColumnEncryptedData, eventlog.ColumnEncryptedMetadata,
	eventlog.ColumnOccurredAt,
}

// page reads up to limit events (all when limit is 0) after the event id after.
func (r *reader) page(ctx context.Context, after any, limit int) ([]*Event, error) {
	preds := r.preds
	if after != nil {
		id, err := eventIDArg(r.log, after)
		if err != nil {
			return nil, fmt.Errorf("%w: AfterID: %v", ErrInvalidQuery, err)
		}
		if r.desc {
			preds = append(preds[:len(preds):len(preds)], sql.LT(eventlog.ColumnID, id))
		} else {
			preds = append(preds[:len(preds):len(preds)], sql.GT(eventlog.ColumnID, id))
		}
	}
	cols := slices.Clone(columns)
	for _, a := range r.log.Actors {
		cols = append(cols, a.Column)
	}
	sel := sql.Dialect(r.drv.Dialect()).Select(cols...).From(sql.Table(r.log.Table))
	switch len(preds) {
	case 0:
	case 1:
		sel.Where(preds[0])
	default:
		sel.Where(sql.And(preds...))
	}
	if r.desc {
		sel.OrderBy(sql.Desc(eventlog.ColumnID))
	} else {
		sel.OrderBy(sql.Asc(eventlog.ColumnID))
	}
	if limit > 0 {
		sel.Limit(limit)
	}
	query, args := sel.Query()
	stored, err := r.query(ctx, query, args)
	if err != nil {
		return nil, err
	}
	evs := make([]*Event, len(stored))
	for i, s := range stored {
		if evs[i], err = r.decode(ctx, s); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// query runs the select and scans every row before returning, so that the
// connection is free again when the events are decoded and yielded.
func (r *reader) query(ctx context.Context, query string, args []any) ([]*eventlog.Stored, error) {
	var rows sql.Rows
	if err := r.drv.Query(ctx, query, args, &rows); err != nil {
		return nil, fmt.Errorf("entevents: read %s: %w", r.log.Table, err)
	}
	defer rows.Close()
	var out []*eventlog.Stored
	for rows.Next() {
		s, err := scanStored(r.log, &rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("entevents: read %s: %w", r.log.Table, err)
	}
	return out, nil
}

// decode unseals s and decodes it into an Event.
func (r *reader) decode(ctx context.Context, s *eventlog.Stored) (*Event, error) {
	if err := r.log.UnsealWith(ctx, r.vault, s); err != nil {
		return nil, err
	}
	fail := func(field string, err error) error {
		return &eventlog.EventError{EventID: s.ID, Entity: s.Entity, Action: s.Action, Version: s.Version, Field: field, Err: err}
	}
	ev := &Event{
		ID: s.ID, RecordID: s.RecordID, Entity: s.Entity, Action: s.Action, ActionType: s.ActionType,
		Version: s.Version, OccurredAt: s.OccurredAt, ChangedFields: s.ChangedFields, Data: s.Data,
	}
	for _, a := range r.log.Actors {
		if v, ok := s.Actors[a.Column]; ok {
			ev.ActorColumn, ev.Actor = a.Column, v
			break
		}
	}
	md, err := decodeMetadata(s.Metadata)
	if err != nil {
		return nil, fail("", fmt.Errorf("%w: metadata: %v", eventlog.ErrDecode, err))
	}
	ev.Metadata = md
	e := r.binding.Entity(s.Entity)
	if e == nil {
		return ev, nil
	}
	if ev.RecordID, err = e.ParseRecordID(s.RecordID); err != nil {
		return nil, fail("", fmt.Errorf("%w: %v", eventlog.ErrDecode, err))
	}
	if r.raw {
		return ev, nil
	}
	if ev.Change, err = e.DecodeData(s.Data); err != nil {
		field := eventlog.FieldOf(err)
		// The EventError names the field: drop the wrapper that names it too.
		if inner := errors.Unwrap(err); field != "" && inner != nil && eventlog.FieldOf(inner) == "" {
			err = inner
		}
		return nil, fail(field, err)
	}
	return ev, nil
}
