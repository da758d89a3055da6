package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/entevents/entevents/entevents"
)

// Profile holds the public profile of a user (O2O).
type Profile struct {
	ent.Schema
}

// Mixin tracks profiles.
func (Profile) Mixin() []ent.Mixin { return []ent.Mixin{entevents.Mixin{}} }

// Fields of the Profile.
func (Profile) Fields() []ent.Field {
	return []ent.Field{
		field.String("bio").Default(""),
		field.String("website").Optional(),
	}
}

// Edges of the Profile.
func (Profile) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("profile").Unique(),
	}
}
