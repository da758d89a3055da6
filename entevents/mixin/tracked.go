package mixin

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/mixin"

	"github.com/entevents/entevents/entevents/hook"
)

// Tracked records every create, update and delete of the schema it is mixed into
// as an event (entevents.Mixin). It adds no fields.
type Tracked struct {
	mixin.Schema
}

// Hooks returns the capture hook.
func (Tracked) Hooks() []ent.Hook { return []ent.Hook{hook.Capture()} }

// Annotations marks the schema as tracked for the code generator.
func (Tracked) Annotations() []schema.Annotation {
	return []schema.Annotation{TrackedAnnotation{}}
}

var _ ent.Mixin = Tracked{}
