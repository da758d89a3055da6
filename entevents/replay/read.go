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

// page reads up to n events after last, in id order. The rows are closed before
// it returns: the events are applied through the same connection.
func (r *reader) page(ctx context.Context, last any, n int) ([]*eventlog.Stored, error) {
	query, args := where(r.selector(r.columns()...), r.where(last)).
		OrderBy(eventlog.ColumnID).Limit(n).Query()
	rows := &sql.Rows{}
	if err := r.drv.Query(ctx, query, args, rows); err != nil {
		return nil, fmt.Errorf("entevents: replay: read the event log: %w", err)
	}
	defer rows.Close()
	var page []*eventlog.Stored
	for rows.Next() {
		ev, err := r.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("entevents: replay: read the event log: %w", err)
		}
		page = append(page, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("entevents: replay: read the event log: %w", err)
	}
	return page, rows.Close()
}

func (r *reader) scan(rows *sql.Rows) (*eventlog.Stored, error) {
	var (
		ev                         eventlog.Stored
		idUUID                     uuid.UUID
		idInt                      int64
		ridString                  string
		ridUUID                    uuid.UUID
		ridInt                     int64
		version                    int64
		data, changed, metadata    []byte
		encData, encMetadata       []byte
		dest                       = make([]any, 0, 12+len(r.log.Actors))
		actors                     = make([]any, len(r.log.Actors))
		entity, action, actionType string
		occurredAt                 time.Time
	)
	if r.log.IDType == field.TypeUUID {
		dest = append(dest, &idUUID)
	} else {
		dest = append(dest, &idInt)
	}
	switch r.log.RecordIDType {
	case field.TypeUUID:
		dest = append(dest, &ridUUID)
	case field.TypeInt64:
		dest = append(dest, &ridInt)
	default:
		dest = append(dest, &ridString)
	}
	dest = append(dest, &entity, &action, &actionType, &version, &data, &changed, &metadata, &encData, &encMetadata, &occurredAt)
	for i := range actors {
		dest = append(dest, &actors[i])
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	if r.log.IDType == field.TypeUUID {
		ev.ID = idUUID
	} else {
		ev.ID = idInt
	}
	switch r.log.RecordIDType {
	case field.TypeUUID:
		ev.RecordID = ridUUID
	case field.TypeInt64:
		ev.RecordID = ridInt
	default:
		ev.RecordID = ridString
	}
	ev.Entity, ev.Action, ev.ActionType, ev.Version = entity, action, actionType, int(version)
	ev.Data, ev.Metadata, ev.EncData, ev.EncMetadata = data, metadata, encData, encMetadata
	ev.OccurredAt = occurredAt
	if len(changed) > 0 {
		// A malformed list is not fatal: replay does not use it.
		_ = json.Unmarshal(changed, &ev.ChangedFields)
	}
	for i, a := range r.log.Actors {
		if v := actors[i]; v != nil {
			if ev.Actors == nil {
				ev.Actors = make(map[string]any)
			}
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			ev.Actors[a.Column] = v
		}
	}
	return &ev, nil
}
