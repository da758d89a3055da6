package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema/field"
	"github.com/google/uuid"

	"github.com/entevents/entevents/entevents/eventlog"
)

// reader reads the event log with plain SQL through the replay's transaction:
// the generated Event client, its hooks and interceptors are not involved.
type reader struct {
	drv       dialect.ExecQuerier
	builder   *sql.DialectBuilder
	log       *eventlog.Log
	untilID   any
	untilTime *time.Time
	// before, when set, is the id of the first event that occurred after
	// untilTime: the replay stops before it.
	before any
}

func (r *reader) columns() []string {
	cols := []string{
		eventlog.ColumnID, eventlog.ColumnRecordID, eventlog.ColumnEntity, eventlog.ColumnAction,
		eventlog.ColumnActionType, eventlog.ColumnVersion, eventlog.ColumnData, eventlog.ColumnChangedFields,
		eventlog.ColumnMetadata, eventlog.ColumnEncryptedData, eventlog.ColumnEncryptedMetadata, eventlog.ColumnOccurredAt,
	}
	for _, a := range r.log.Actors {
		cols = append(cols, a.Column)
	}
	return cols
}

// where returns the predicates of the events the replay applies, after last.
func (r *reader) where(last any) []*sql.Predicate {
	var ps []*sql.Predicate
	if last != nil {
		ps = append(ps, sql.GT(eventlog.ColumnID, last))
	}
	if r.untilID != nil {
		ps = append(ps, sql.LTE(eventlog.ColumnID, r.untilID))
	}
	if r.before != nil {
		ps = append(ps, sql.LT(eventlog.ColumnID, r.before))
	}
	return ps
}

func (r *reader) selector(columns ...string) *sql.Selector {
	return r.builder.Select(columns...).From(sql.Table(r.log.Table))
}

func where(s *sql.Selector, ps []*sql.Predicate) *sql.Selector {
	if len(ps) > 0 {
		s.Where(sql.And(ps...))
	}
	return s
}

// bound fixes the id of the last event to apply and the number of events up to
// it, so that events committed while the replay runs are not applied and the
// progress total holds.
func (r *reader) bound(ctx context.Context) (last any, total int64, err error) {
	if r.untilTime != nil {
		// The replay is a prefix of the log: it stops before the first event
		// that occurred after untilTime.
		query, args := r.selector(eventlog.ColumnID).Where(sql.GT(eventlog.ColumnOccurredAt, *r.untilTime)).
			OrderBy(eventlog.ColumnID).Limit(1).Query()
		if r.before, err = r.queryID(ctx, query, args); err != nil {
			return nil, 0, err
		}
	}
	query, args := where(r.selector(eventlog.ColumnID), r.where(nil)).
		OrderBy(sql.Desc(eventlog.ColumnID)).Limit(1).Query()
	if last, err = r.queryID(ctx, query, args); err != nil || last == nil {
		return nil, 0, err
	}
	r.untilID = last
	query, args = where(r.selector(sql.Count("*")), r.where(nil)).Query()
	rows := &sql.Rows{}
	if err := r.drv.Query(ctx, query, args, rows); err != nil {
		return nil, 0, fmt.Errorf("entevents: replay: count events: %w", err)
	}
	defer rows.Close()
	total, err = sql.ScanInt64(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("entevents: replay: count events: %w", err)
	}
	return last, total, nil
}

// queryID runs a query selecting at most one event id; nil when there is none.
func (r *reader) queryID(ctx context.Context, query string, args []any) (id any, err error) {
	rows := &sql.Rows{}
	if err := r.drv.Query(ctx, query, args, rows); err != nil {
		return nil, fmt.Errorf("entevents: replay: read the event log: %w", err)
	}
	if rows.Next() {
		id, err = r.scanID(rows)
	}
	if err == nil {
		err = rows.Err()
	}
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("entevents: replay: read the event log: %w", err)
	}
	return id, nil
}

func (r *reader) scanID(rows *sql.Rows) (any, error) {
	if r.log.IDType == field.TypeUUID {
		var id uuid.UUID
		err := rows.Scan(&id)
		return id, err
	}
	var id int64
	err := rows.Scan(&id)
	return id, err
}

// record is an event read for replay. Its changed_fields column is parsed into
// ChangedFields only for a route Handler (fields), the one user of it.
type record struct {
	*eventlog.Stored
	changed []byte
}

// fields fills ChangedFields from the column. A malformed list is not fatal:
// replay does not use it.
func (r record) fields() {
	if r.ChangedFields == nil && len(r.changed) > 0 {
		_ = json.Unmarshal(r.changed, &r.ChangedFields)
	}
}

// page reads up to n events after last, in id order. The rows are closed before
// it returns: the events are applied through the same connection.
func (r *reader) page(ctx context.Context, last any, n int) ([]record, error) {
	query, args := where(r.selector(r.columns()...), r.where(last)).
		OrderBy(eventlog.ColumnID).Limit(n).Query()
	rows := &sql.Rows{}
	if err := r.drv.Query(ctx, query, args, rows); err != nil {
		return nil, fmt.Errorf("entevents: replay: read the event log: %w", err)
	}
	defer rows.Close()
	page := make([]record, 0, n)
	sc := r.newScanner()
	for rows.Next() {
		rec, err := sc.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("entevents: replay: read the event log: %w", err)
		}
		page = append(page, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("entevents: replay: read the event log: %w", err)
	}
	return page, rows.Close()
}

// rowScanner scans the rows of a page into records, with one set of scan
// destinations for all of them (database/sql copies the bytes it stores in
// them).
type rowScanner struct {
	log                        *eventlog.Log
	dest                       []any
	idUUID                     uuid.UUID
	idInt                      int64
	ridString                  string
	ridUUID                    uuid.UUID
	ridInt                     int64
	version                    int64
	data, changed, metadata    []byte
	encData, encMetadata       []byte
	actors                     []any
	entity, action, actionType string
	occurredAt                 time.Time
}

func (r *reader) newScanner() *rowScanner {
	sc := &rowScanner{log: r.log, actors: make([]any, len(r.log.Actors))}
	sc.dest = make([]any, 0, 12+len(sc.actors))
	if r.log.IDType == field.TypeUUID {
		sc.dest = append(sc.dest, &sc.idUUID)
	} else {
		sc.dest = append(sc.dest, &sc.idInt)
	}
	switch r.log.RecordIDType {
	case field.TypeUUID:
		sc.dest = append(sc.dest, &sc.ridUUID)
	case field.TypeInt64:
		sc.dest = append(sc.dest, &sc.ridInt)
	default:
		sc.dest = append(sc.dest, &sc.ridString)
	}
	sc.dest = append(sc.dest, &sc.entity, &sc.action, &sc.actionType, &sc.version, &sc.data, &sc.changed, &sc.metadata,
		&sc.encData, &sc.encMetadata, &sc.occurredAt)
	for i := range sc.actors {
		sc.dest = append(sc.dest, &sc.actors[i])
	}
	return sc
}

func (sc *rowScanner) scan(rows *sql.Rows) (record, error) {
	// Scan sets every destination, NULL columns to nil.
	if err := rows.Scan(sc.dest...); err != nil {
		return record{}, err
	}
	ev := &eventlog.Stored{
		Entity: sc.entity, Action: sc.action, ActionType: sc.actionType, Version: int(sc.version),
		Data: sc.data, Metadata: sc.metadata, EncData: sc.encData, EncMetadata: sc.encMetadata,
		OccurredAt: sc.occurredAt,
	}
	if sc.log.IDType == field.TypeUUID {
		ev.ID = sc.idUUID
	} else {
		ev.ID = sc.idInt
	}
	switch sc.log.RecordIDType {
	case field.TypeUUID:
		ev.RecordID = sc.ridUUID
	case field.TypeInt64:
		ev.RecordID = sc.ridInt
	default:
		ev.RecordID = sc.ridString
	}
	for i, a := range sc.log.Actors {
		if v := sc.actors[i]; v != nil {
			if ev.Actors == nil {
				ev.Actors = make(map[string]any)
			}
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			ev.Actors[a.Column] = v
		}
	}
	return record{Stored: ev, changed: sc.changed}, nil
}
