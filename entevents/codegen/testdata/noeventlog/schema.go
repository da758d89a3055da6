// Package noeventlog has a tracked schema and no event log.
package noeventlog

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"

	"github.com/entevents/entevents/entevents"
)

// Note is tracked, but no schema declares entevents.EventLog.
type Note struct{ ent.Schema }

// Mixin tracks notes.
func (Note) Mixin() []ent.Mixin { return []ent.Mixin{entevents.Mixin{}} }

// Fields of the Note.
func (Note) Fields() []ent.Field { return []ent.Field{field.String("text")} }
