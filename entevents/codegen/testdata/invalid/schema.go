// Package invalid holds event logs and tracked schemas that the entevents
// extension must reject at generate time. Tests pick one log and the tracked
// schemas they need.
package invalid

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"github.com/google/uuid"

	"github.com/entevents/entevents/entevents"
)

// IntItem is tracked and has int ids.
type IntItem struct{ ent.Schema }

// Mixin tracks it.
func (IntItem) Mixin() []ent.Mixin { return []ent.Mixin{entevents.Mixin{}} }

// Fields of the IntItem.
func (IntItem) Fields() []ent.Field { return []ent.Field{field.String("name")} }

// StringItem is tracked and has string ids.
type StringItem struct{ ent.Schema }

// Mixin tracks it.
func (StringItem) Mixin() []ent.Mixin { return []ent.Mixin{entevents.Mixin{}} }

// Fields of the StringItem.
func (StringItem) Fields() []ent.Field { return []ent.Field{field.String("id")} }

// UUIDItem is tracked and has UUID ids.
type UUIDItem struct{ ent.Schema }

// Mixin tracks it.
func (UUIDItem) Mixin() []ent.Mixin { return []ent.Mixin{entevents.Mixin{}} }

// Fields of the UUIDItem.
func (UUIDItem) Fields() []ent.Field { return []ent.Field{field.UUID("id", uuid.UUID{})} }

// BadVersion is tracked with a version below 1.
type BadVersion struct{ ent.Schema }

// Mixin tracks it.
func (BadVersion) Mixin() []ent.Mixin { return []ent.Mixin{entevents.Mixin{}} }

// Annotations set version 0.
func (BadVersion) Annotations() []schema.Annotation {
	return []schema.Annotation{entevents.Versions{"create": 0}}
}

// log returns an event log schema mixin with options.
type log struct {
	ent.Schema
	opts entevents.EventLog
}

// Mixin declares the log.
func (l log) Mixin() []ent.Mixin { return []ent.Mixin{l.opts} }

// UUIDRecordLog stores UUID record ids.
type UUIDRecordLog struct{ log }

// NewUUIDRecordLog returns the schema.
func NewUUIDRecordLog() UUIDRecordLog {
	return UUIDRecordLog{log{opts: entevents.EventLog{RecordIDType: entevents.RecordIDUUID}}}
}

// Int64RecordLog stores int64 record ids.
type Int64RecordLog struct{ log }

// NewInt64RecordLog returns the schema.
func NewInt64RecordLog() Int64RecordLog {
	return Int64RecordLog{log{opts: entevents.EventLog{RecordIDType: entevents.RecordIDInt64}}}
}

// ActorLog has the given actor columns.
type ActorLog struct{ log }

// NewActorLog returns the schema.
func NewActorLog(actors ...entevents.Actor) ActorLog {
	return ActorLog{log{opts: entevents.EventLog{Actors: actors}}}
}

// OtherLog is a second event log.
type OtherLog struct{ log }

// TrackedLog is an event log that is also tracked.
type TrackedLog struct{ log }

// Mixin declares the log and tracks it.
func (TrackedLog) Mixin() []ent.Mixin {
	return []ent.Mixin{entevents.EventLog{}, entevents.Mixin{}}
}

// Plain is not tracked.
type Plain struct{ ent.Schema }

// Fields of the Plain.
func (Plain) Fields() []ent.Field { return []ent.Field{field.Int("n")} }
