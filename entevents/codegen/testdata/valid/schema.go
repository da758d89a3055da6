// Package valid is a small, valid entevents project: an event log with a UUID
// primary key, and tracked entities with int, UUID and string ids whose
// annotations come from a mixin and from the schema.
package valid

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"

	"github.com/entevents/entevents/entevents"
)

// Event is the event log.
type Event struct{ ent.Schema }

// Mixin declares the log.
func (Event) Mixin() []ent.Mixin {
	return []ent.Mixin{entevents.EventLog{
		IDType: entevents.IDUUIDv7,
		Actors: []entevents.Actor{
			{Column: "account_id", Entity: "Account", Type: entevents.ActorString},
			{Column: "item_actor", Entity: "Item"},
			entevents.SystemActor("job"),
		},
	}}
}

// audited is a mixin that tracks a schema and sets annotations of its own.
type audited struct{ mixin.Schema }

func (audited) Mixin() []ent.Mixin { return []ent.Mixin{entevents.Mixin{}} }

func (audited) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entevents.Versions{"update": 3, "create": 1},
		entevents.Ignore("sync"),
	}
}

// Fields of the mixin (none: it only tracks).
func (audited) Fields() []ent.Field { return nil }

// Item has an int id; its annotations merge with the mixin's.
type Item struct{ ent.Schema }

// Mixin tracks items through audited.
func (Item) Mixin() []ent.Mixin { return []ent.Mixin{entevents.Mixin{}, audited{}} }

// Annotations of the schema win over the mixin's for the same action.
func (Item) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entevents.Versions{"create": 2},
		entevents.Ignore("import_legacy"),
	}
}

// Fields of the Item.
func (Item) Fields() []ent.Field {
	return []ent.Field{
		field.Uint64("stock").Default(0),
		field.Uint8("level").Default(0),
		field.Float32("weight").Optional(),
		field.String("name").Sensitive(),
	}
}

// Edges of the Item.
func (Item) Edges() []ent.Edge {
	return []ent.Edge{edge.To("docs", Doc.Type)}
}

// Doc has a UUID id and records only two actions.
type Doc struct{ ent.Schema }

// Mixin tracks docs.
func (Doc) Mixin() []ent.Mixin { return []ent.Mixin{entevents.Mixin{}} }

// Annotations: only publish and delete are recorded.
func (Doc) Annotations() []schema.Annotation {
	return []schema.Annotation{entevents.Only("publish", "delete")}
}

// Fields of the Doc.
func (Doc) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(uuid.New),
		field.JSON("body", map[string]any{}),
	}
}

// Edges of the Doc.
func (Doc) Edges() []ent.Edge {
	return []ent.Edge{edge.From("item", Item.Type).Ref("docs").Unique()}
}

// Account has a string id and is not tracked.
type Account struct{ ent.Schema }

// Fields of the Account.
func (Account) Fields() []ent.Field {
	return []ent.Field{field.String("id")}
}
