package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/entevents/entevents/entevents"
)

// Tag labels posts (M2M).
type Tag struct {
	ent.Schema
}

// Mixin tracks tags.
func (Tag) Mixin() []ent.Mixin { return []ent.Mixin{entevents.Mixin{}} }

// Fields of the Tag.
func (Tag) Fields() []ent.Field {
	return []ent.Field{field.String("name").Unique()}
}

// Edges of the Tag.
func (Tag) Edges() []ent.Edge {
	return []ent.Edge{edge.From("posts", Post.Type).Ref("tags")}
}
