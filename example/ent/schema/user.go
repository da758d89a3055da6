package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/entevents/entevents/entevents"
)

// Settings is a JSON value stored on a user.
type Settings struct {
	Theme         string   `json:"theme"`
	Notifications bool     `json:"notifications"`
	Languages     []string `json:"languages,omitempty"`
}

// User is a registered person. Its id is an auto-increment integer.
type User struct {
	ent.Schema
}

// Mixin tracks users and stamps create/update times.
func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{entevents.Mixin{}, mixin.Time{}}
}

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty(),
		field.String("email").Unique(),
		field.String("password_hash").Sensitive().Optional(),
		field.Enum("role").Values("member", "admin").Default("member"),
		field.Int("age").Optional().Nillable(),
		field.Int64("karma").Default(0),
		field.Uint64("quota").Default(0),
		field.Float("score").Default(0),
		field.Bytes("avatar").Optional(),
		field.JSON("settings", Settings{}).Optional(),
		field.Time("last_seen_at").Optional().Nillable(),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("posts", Post.Type),
		edge.To("comments", Comment.Type),
		edge.To("profile", Profile.Type).Unique(),
	}
}

// Annotations set the versions of user actions: create is at version 2 since the
// name was split from a legacy full_name (see the example's replay route).
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entevents.Versions{"create": 2},   // current action versions (default 1)
		entevents.Ignore("import_legacy"), // executed, never recorded
	}
}
