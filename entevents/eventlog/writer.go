package eventlog

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema/field"
	"github.com/google/uuid"
)

// Record is an event ready to be written. Internal.
type Record struct {
	Entity      string
	RecordID    any
	Action      string
	ActionType  string
	Version     int
	Data        json.RawMessage // nil when encrypted
	Changed     json.RawMessage
	Metadata    json.RawMessage // nil when encrypted
	EncData     []byte
	EncMetadata []byte
	ActorColumn string
	Actor       any
	OccurredAt  time.Time
}

// maxParams is the most bind parameters one statement may carry on either
// database (SQLite's default limit is 32766, PostgreSQL's 65535).
const maxParams = 32766

// writeEvents takes the ordering lock and inserts records with as few statements as
// the parameter limit allows.
func writeEvents(ctx context.Context, ex dialect.ExecQuerier, dialectName string, log *Log, records []*Record) error {
	opts, err := log.Options()
	if err != nil {
		return err
	}
	if dialectName == dialect.Postgres && !opts.DisableLock {
		if err := lock(ctx, ex, opts); err != nil {
			return err
		}
	}
	cols := log.Columns()
	uuidIDs := log.IDType == field.TypeUUID
	if uuidIDs {
		cols = append([]string{ColumnID}, cols...)
	}
	per := maxParams / len(cols)
	for start := 0; start < len(records); start += per {
		end := min(start+per, len(records))
		ins := entsql.Dialect(dialectName).Insert(log.Table).Columns(cols...)
		for _, r := range records[start:end] {
			vals := make([]any, 0, len(cols))
			if uuidIDs {
				id, err := uuid.NewV7()
				if err != nil {
					return err
				}
				vals = append(vals, id)
			}
			vals = append(vals, r.RecordID, r.Entity, r.Action, r.ActionType, r.Version,
				nullJSON(r.Data), nullJSON(r.Changed), nullJSON(r.Metadata), nullBytes(r.EncData), nullBytes(r.EncMetadata), r.OccurredAt)
			for _, a := range log.Actors {
				if a.Column == r.ActorColumn {
					vals = append(vals, r.Actor)
				} else {
					vals = append(vals, nil)
				}
			}
			ins.Values(vals...)
		}
		query, args := ins.Query()
		if err := ex.Exec(ctx, query, args, nil); err != nil {
			return fmt.Errorf("entevents: write %d events to %s: %w", end-start, log.Table, err)
		}
	}
	return nil
}

func nullJSON(b json.RawMessage) any {
	if b == nil {
		return nil
	}
	return b
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func lock(ctx context.Context, ex dialect.ExecQuerier, opts *Options) error {
	var (
		query string
		args  []any
	)
	switch {
	case opts.LockKeyFunc != nil:
		query, args = "SELECT pg_advisory_xact_lock($1)", []any{opts.LockKeyFunc(ctx)}
	case opts.LockKeyPair != nil:
		query, args = "SELECT pg_advisory_xact_lock($1, $2)", []any{opts.LockKeyPair[0], opts.LockKeyPair[1]}
	default:
		query, args = "SELECT pg_advisory_xact_lock($1)", []any{opts.LockKey}
	}
	var rows entsql.Rows
	if err := ex.Query(ctx, query, args, &rows); err != nil {
		return fmt.Errorf("entevents: take the event ordering lock: %w", err)
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return fmt.Errorf("entevents: take the event ordering lock: %w", err)
	}
	return rows.Close()
}
