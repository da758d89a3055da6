package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/entevents/entevents/entevents/eventlog"
)

// Event is an event of the log as a route Handler receives it: decrypted, with
// its data not yet applied. A handler may change Entity, ActionType, RecordID and
// Data and then call Apply to apply the result without hooks.
type Event struct {
	// ID is the event id: int64, or uuid.UUID with entevents.IDUUIDv7.
	ID any
	// RecordID is the id of the record as the log stores it: string (the
	// default), uuid.UUID or int64. RecordID[T] converts it to the entity's id
	// type.
	RecordID any
	// Entity is the schema name of the record.
	Entity string
	// Action is the action name, ActionType the operation: "create", "update"
	// or "delete".
	Action     string
	ActionType string
	// Version is the version the action had when the event was recorded.
	Version int
	// Data is the plaintext event data document (see eventlog.Data): use
	// Fields[T] or Document to read it.
	Data json.RawMessage
	// Metadata is the JSON object recorded with entevents.WithMetadata.
	Metadata json.RawMessage
	// ChangedFields lists the names of the fields and edges the action changed.
	ChangedFields []string
	// Actors holds the non-NULL actor columns of the event by column name.
	Actors map[string]any
	// OccurredAt is when the action ran (UTC, microseconds).
	OccurredAt time.Time

	apply func(context.Context, *Event) error
}

func newEvent(st *eventlog.Stored) *Event {
	ev := &Event{
		ID: st.ID, RecordID: st.RecordID, Entity: st.Entity, Action: st.Action, ActionType: st.ActionType,
		Version: st.Version, Data: st.Data, Metadata: st.Metadata, ChangedFields: st.ChangedFields,
		Actors: st.Actors, OccurredAt: st.OccurredAt,
	}
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage("{}")
	}
	return ev
}

func (ev *Event) stored() *eventlog.Stored {
	return &eventlog.Stored{
		ID: ev.ID, RecordID: ev.RecordID, Entity: ev.Entity, Action: ev.Action, ActionType: ev.ActionType,
		Version: ev.Version, Data: ev.Data, Metadata: ev.Metadata, ChangedFields: ev.ChangedFields,
		Actors: ev.Actors, OccurredAt: ev.OccurredAt,
	}
}

// Document parses Data without decoding the values. The values of the document
// are slices of Data: Data must not be modified in place while they are in use
// (SetDocument replaces it).
func (ev *Event) Document() (*eventlog.Data, error) {
	return eventlog.ParseData(ev.Data)
}

// SetDocument replaces Data with the encoding of d.
func (ev *Event) SetDocument(d *eventlog.Data) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("%w: %v", eventlog.ErrEncode, err)
	}
	ev.Data = b
	return nil
}

// Apply applies the event as it is now — Entity, ActionType, RecordID and Data,
// possibly changed by the handler — the way Run applies an unrouted event:
// directly with sqlgraph, without hooks. The version is not checked. It is valid
// only while the handler that received ev runs.
func (ev *Event) Apply(ctx context.Context) error {
	if ev.apply == nil {
		return errors.New("entevents: replay: Event.Apply called outside a running handler")
	}
	return ev.apply(ctx, ev)
}

// Fields decodes the fields object of ev's data into a T, usually a struct with
// json tags naming the fields of the version the event was recorded with.
// Fields the data does not hold keep their zero value.
func Fields[T any](ev *Event) (T, error) {
	var v T
	var doc struct {
		Fields json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(ev.Data, &doc); err != nil {
		return v, fmt.Errorf("%w: %v", eventlog.ErrDecode, err)
	}
	if len(doc.Fields) == 0 {
		return v, nil
	}
	if err := json.Unmarshal(doc.Fields, &v); err != nil {
		return v, fmt.Errorf("%w: fields: %v", eventlog.ErrDecode, err)
	}
	return v, nil
}

// RecordID returns the record id of ev converted to T, the id type of the
// entity (int, uuid.UUID, string...).
func RecordID[T any](ev *Event) (T, error) {
	if v, ok := ev.RecordID.(T); ok {
		return v, nil
	}
	var v T
	s := fmt.Sprint(ev.RecordID)
	// Strings and text types (uuid.UUID) decode from a JSON string, numbers
	// from a JSON number.
	if err := json.Unmarshal([]byte(strconv.Quote(s)), &v); err == nil {
		return v, nil
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return v, fmt.Errorf("%w: record id %q as %T: %v", eventlog.ErrDecode, s, v, err)
	}
	return v, nil
}
