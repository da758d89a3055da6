package history

import (
	"bytes"
	stdsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema/field"
	"github.com/google/uuid"

	"github.com/entevents/entevents/entevents/eventlog"
)

// scanStored scans one row of the columns read by reader.page. Drivers differ in
// what they return: JSON columns come as []byte or string, times as time.Time or
// text (SQLite), uuids as uuid.UUID, bytes or text; every value is normalised to
// the types eventlog.Stored documents.
func scanStored(log *eventlog.Log, rows *sql.Rows) (*eventlog.Stored, error) {
	var (
		id, recordID, occurred     any
		entity, action, actionType stdsql.NullString
		version                    stdsql.NullInt64
		data, changed, metadata    []byte
		encData, encMetadata       []byte
		actors                     = make([]any, len(log.Actors))
		dest                       = []any{&id, &recordID, &entity, &action, &actionType, &version, &data, &changed, &metadata, &encData, &encMetadata, &occurred}
	)
	for i := range actors {
		dest = append(dest, &actors[i])
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("entevents: read %s: %w", log.Table, err)
	}
	s := &eventlog.Stored{
		Entity: entity.String, Action: action.String, ActionType: actionType.String, Version: int(version.Int64),
		Data: data, Metadata: metadata, EncData: encData, EncMetadata: encMetadata,
	}
	fail := func(err error) error {
		return &eventlog.EventError{EventID: s.ID, Entity: s.Entity, Action: s.Action, Version: s.Version, Err: fmt.Errorf("%w: %v", eventlog.ErrDecode, err)}
	}
	var err error
	if s.ID, err = eventID(log.IDType, id); err != nil {
		s.ID = id
		return nil, fail(fmt.Errorf("id: %v", err))
	}
	if s.RecordID, err = storedRecordID(log.RecordIDType, recordID); err != nil {
		return nil, fail(fmt.Errorf("record_id: %v", err))
	}
	if s.OccurredAt, err = parseTime(occurred); err != nil {
		return nil, fail(fmt.Errorf("occurred_at: %v", err))
	}
	if len(changed) > 0 {
		if err := json.Unmarshal(changed, &s.ChangedFields); err != nil {
			return nil, fail(fmt.Errorf("changed_fields: %v", err))
		}
	}
	for i, a := range log.Actors {
		if actors[i] == nil {
			continue
		}
		v, err := actorValue(a.Type, actors[i])
		if err != nil {
			return nil, fail(fmt.Errorf("actor column %s: %v", a.Column, err))
		}
		if s.Actors == nil {
			s.Actors = make(map[string]any, 1)
		}
		s.Actors[a.Column] = v
	}
	return s, nil
}

// eventID converts a scanned or user-given event id to the log's id type.
func eventID(typ field.Type, v any) (any, error) {
	if typ == field.TypeUUID {
		return toUUID(v)
	}
	return toInt64(v)
}

// eventIDArg converts a user-given event id into a query argument.
func eventIDArg(log *eventlog.Log, v any) (any, error) {
	id, err := eventID(log.IDType, v)
	if err != nil {
		return nil, fmt.Errorf("event id %v of type %T: %v", v, v, err)
	}
	return id, nil
}

// storedRecordID converts a scanned record_id to the form the log stores (and the
// encryption AAD formats): string, int64 or uuid.UUID.
func storedRecordID(typ field.Type, v any) (any, error) {
	switch typ {
	case field.TypeUUID:
		return toUUID(v)
	case field.TypeInt64:
		return toInt64(v)
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	}
	return nil, fmt.Errorf("unexpected %T", v)
}

// actorValue converts a scanned actor column value to its column's Go type.
func actorValue(typ field.Type, v any) (any, error) {
	switch typ {
	case field.TypeUUID:
		return toUUID(v)
	case field.TypeString:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
		return nil, fmt.Errorf("unexpected %T", v)
	}
	return toInt64(v)
}

// actorArg converts a user-given actor value (42, a named string type, a uuid
// string) into a query argument for column a.
func actorArg(a eventlog.ActorColumn, v any) (any, error) {
	if v == nil {
		return nil, errors.New("nil value")
	}
	if a.Type == field.TypeString {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
			return rv.String(), nil
		}
		return nil, fmt.Errorf("value of type %T for a string column", v)
	}
	return actorValue(a.Type, v)
}

// recordIDArg converts a user-given record id into the record_id value stored for
// it. For a tracked entity the id is first converted to the entity's id type, so
// that 42, int64(42) and "42" all find the record of an int id.
func recordIDArg(b *eventlog.Binding, entity string, id any) (any, error) {
	if e := b.Entity(entity); e != nil {
		var err error
		if id, err = entityID(e, id); err != nil {
			return nil, err
		}
	} else if rv := reflect.ValueOf(id); rv.Kind() == reflect.String {
		id = rv.String()
	} else if n, err := toInt64(id); err == nil {
		id = n
	}
	return b.Log.FormatRecordID(id)
}

// entityID converts id to the id type of e.
func entityID(e *eventlog.Entity, id any) (any, error) {
	switch x := id.(type) {
	case string:
		return e.ParseRecordID(x)
	case []byte:
		return e.ParseRecordID(string(x))
	}
	raw, err := json.Marshal(id)
	if err != nil {
		return nil, fmt.Errorf("id %v of type %T: %v", id, id, err)
	}
	v, err := e.DecodeID(raw)
	if err != nil {
		return nil, fmt.Errorf("id %v of type %T is not a %s id: %v", id, id, e.Name, err)
	}
	return v, nil
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	case []byte:
		return strconv.ParseInt(string(x), 10, 64)
	}
	if n, ok := eventlog.Int64(v); ok {
		return n, nil
	}
	return 0, fmt.Errorf("unexpected %v (%T) for an int64", v, v)
}

func toUUID(v any) (uuid.UUID, error) {
	switch x := v.(type) {
	case uuid.UUID:
		return x, nil
	case [16]byte:
		return x, nil
	case string:
		return uuid.Parse(x)
	case []byte:
		if len(x) == 16 {
			return uuid.FromBytes(x)
		}
		return uuid.ParseBytes(x)
	case fmt.Stringer:
		return uuid.Parse(x.String())
	}
	return uuid.UUID{}, fmt.Errorf("unexpected %T for a uuid", v)
}

// timeLayouts are the text forms of times that SQLite drivers write: modernc's
// default (time.Time.String), its "sqlite" format, RFC 3339, and the forms of the
// SQLite date functions.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05.999999999-07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
}

// parseTime reads the occurred_at column: a time.Time (PostgreSQL, and SQLite
// drivers that parse DATETIME columns) or its text. Times without a zone are UTC,
// as the log writes them. The result is in UTC.
func parseTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case []byte:
		return parseTime(string(x))
	case string:
		s := strings.TrimSpace(x)
		// time.Time.String of a time with a monotonic reading: "... m=+0.000000001".
		if i := strings.Index(s, " m="); i > 0 {
			s = s[:i]
		}
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("unrecognised time %q", x)
	case nil:
		return time.Time{}, errors.New("NULL")
	}
	return time.Time{}, fmt.Errorf("unexpected %T for a time", v)
}

// decodeMetadata decodes the metadata column. Numbers stay json.Number.
func decodeMetadata(raw []byte) (map[string]any, error) {
	md := map[string]any{}
	if len(raw) == 0 {
		return md, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&md); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the metadata object")
	}
	if md == nil { // the JSON null
		md = map[string]any{}
	}
	return md, nil
}
