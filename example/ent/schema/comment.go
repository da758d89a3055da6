package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/entevents/entevents/entevents"
)

// Comment is a reply to a post. Its id is a UUID.
type Comment struct {
	ent.Schema
}

// Mixin tracks comments.
func (Comment) Mixin() []ent.Mixin { return []ent.Mixin{entevents.Mixin{}} }

// Fields of the Comment.
func (Comment) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(uuid.New),
		field.Text("body"),
		field.Int("likes").Default(0),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the Comment.
func (Comment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("post", Post.Type).Ref("comments").Unique(),
		edge.From("author", User.Type).Ref("comments").Unique(),
	}
}

// Indexes of the Comment: its foreign keys.
func (Comment) Indexes() []ent.Index {
	return []ent.Index{index.Edges("post"), index.Edges("author")}
}
