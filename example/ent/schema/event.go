package schema

import (
	"entgo.io/ent"

	"github.com/entevents/entevents/entevents"
)

// Event is the event log: one row per recorded create, update or delete.
type Event struct {
	ent.Schema
}

// Mixin declares the event log and its actor columns.
func (Event) Mixin() []ent.Mixin {
	return []ent.Mixin{
		entevents.EventLog{
			Actors: []entevents.Actor{
				entevents.EntityActor("user_id", "User"), // *ent.User actors: the primary key is stored
				entevents.SystemActor("system_actor"),    // entevents.System("nightly-import")
			},
		},
	}
}
