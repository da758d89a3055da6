// Package tutorial holds the application code of the README's tutorial, compiled
// and tested so that the README stays true.
package tutorial

import (
	"context"
	"database/sql"
	"log"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver

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

// OpenEncrypted opens a client on PostgreSQL whose events are encrypted with the
// keyring in ENTEVENTS_KEYS (see docs/secrets.md).
func OpenEncrypted(dsn string) (*ent.Client, error) {
	kr, err := entevents.KeyringFromEnv("ENTEVENTS_KEYS")
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	drv := entsql.OpenDB(dialect.Postgres, db)
	client := ent.NewClient(ent.Driver(entevents.WrapDriverWith(drv, &entevents.DriverOptions{Vault: kr})))
	return client, nil
}

// DevVault returns the keyring in ENTEVENTS_KEYS, or a generated demo key that it
// logs once (see docs/secrets.md). For development only.
func DevVault() (*entevents.Keyring, error) {
	kr, err := entevents.KeyringFromEnvOrGenerate(entevents.KeysEnv, log.Printf)
	return kr, err
}
