// Package tutorial holds the application code of the README's tutorial, compiled
// and tested so that the README stays true.
package tutorial

import (
	"context"
	"database/sql"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/example/ent"
)

// Open returns a client on a PostgreSQL database whose driver is wrapped by
// entevents, as the generated ent.Open does.
func Open(db *sql.DB) *ent.Client {
	drv := entsql.OpenDB(dialect.Postgres, db)
	client := ent.NewClient(ent.Driver(entevents.WrapDriver(drv)))
	return client
}

// Register creates a user on behalf of currentUser, for request rid, and records it.
func Register(ctx context.Context, client *ent.Client, currentUser *ent.User, rid string) (*ent.User, error) {
	ctx = entevents.WithActor(ctx, currentUser)                          // who
	ctx = entevents.WithMetadata(ctx, map[string]any{"request_id": rid}) // why/where
	ctx = entevents.WithAction(ctx, "register")                          // optional action name
	u, err := client.User.Create().SetName("Jane").SetEmail(rid + "@example.com").Save(ctx)
	return u, err
}
