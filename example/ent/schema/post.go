package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/entevents/entevents/entevents"
)

// Post is an article written by a user.
type Post struct {
	ent.Schema
}

// Mixin tracks posts.
func (Post) Mixin() []ent.Mixin {
	return []ent.Mixin{entevents.Mixin{}, mixin.Time{}}
}

// Fields of the Post.
func (Post) Fields() []ent.Field {
	return []ent.Field{
		field.String("title"),
		field.Text("body").Default(""),
		field.Enum("status").Values("draft", "published", "archived").Default("draft"),
		field.Int("views").Default(0),
		field.Time("published_at").Optional().Nillable(),
		field.JSON("attributes", map[string]any{}).Optional(),
		field.Int("author_id").Optional(),
	}
}

// Edges of the Post.
func (Post) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("author", User.Type).Ref("posts").Unique().Field("author_id"),
		edge.To("tags", Tag.Type),
		edge.To("comments", Comment.Type),
	}
}

// Indexes of the Post: the author foreign key, which PostgreSQL does not index by
// itself (deleting a user, or replay's clear, would scan posts).
func (Post) Indexes() []ent.Index {
	return []ent.Index{index.Fields("author_id")}
}
