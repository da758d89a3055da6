package entevents_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver
	_ "modernc.org/sqlite"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
	_ "github.com/entevents/entevents/example/ent/runtime"
	"github.com/entevents/entevents/example/ent/user"
)

// openExample opens the example schema on a new in-memory SQLite database, with
// the driver wrapped by entevents.
func openExample(name string) (*ent.Client, func()) {
	db, err := sql.Open("sqlite", "file:"+name+"?mode=memory&cache=shared&_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	client := ent.NewClient(ent.Driver(entevents.WrapDriver(entsql.OpenDB(dialect.SQLite, db))))
	if err := client.Schema.Create(context.Background()); err != nil {
		log.Fatal(err)
	}
	return client, func() { _ = db.Close() }
}

// printEvents prints the event log, one line per event.
func printEvents(client *ent.Client) {
	for _, ev := range client.Event.Query().Order(event.ByID()).AllX(context.Background()) {
		actor := "-"
		switch {
		case ev.UserID != nil:
			actor = fmt.Sprintf("user:%d", *ev.UserID)
		case ev.SystemActor != nil:
			actor = "system:" + *ev.SystemActor
		}
		fmt.Printf("#%d %s %s %s/%s v%d by %s changed=%s metadata=%s\n", ev.ID, ev.Entity, ev.RecordID,
			ev.Action, ev.ActionType, ev.Version, actor, strings.Join(ev.ChangedFields, ","), ev.Metadata)
	}
}

// WithActor records who made a change: an *ent.User is stored by id in the
// user_id column, an entevents.System actor in system_actor.
func ExampleWithActor() {
	client, done := openExample("example_with_actor")
	defer done()
	ctx := context.Background()

	admin := client.User.Create().SetName("Ada").SetEmail("ada@example.com").
		SaveX(entevents.WithActor(ctx, entevents.System("signup-job")))
	client.Tag.Create().SetName("go").ExecX(entevents.WithActor(ctx, admin))

	// An actor no column accepts fails the mutation before anything is written.
	err := client.Tag.Create().SetName("sql").Exec(entevents.WithActor(ctx, "ada"))
	fmt.Println(errors.Is(err, entevents.ErrUnknownActor))

	printEvents(client)
	// Output:
	// true
	// #1 User 1 create/create v2 by system:signup-job changed=create_time,email,karma,name,quota,role,score,update_time metadata={}
	// #2 Tag 1 create/create v1 by user:1 changed=name metadata={}
}

// WithMetadata attaches a JSON object to the events of a context's mutations:
// why or where they happened.
func ExampleWithMetadata() {
	client, done := openExample("example_with_metadata")
	defer done()
	ctx := entevents.WithMetadata(context.Background(), map[string]any{
		"request_id": "req-7f3a", "ip": "203.0.113.9",
	})

	u := client.User.Create().SetName("Jane").SetEmail("jane@example.com").SaveX(ctx)
	client.User.UpdateOne(u).SetAge(30).ExecX(context.Background())

	printEvents(client)
	// Output:
	// #1 User 1 create/create v2 by - changed=create_time,email,karma,name,quota,role,score,update_time metadata={"ip":"203.0.113.9","request_id":"req-7f3a"}
	// #2 User 1 update/update v1 by - changed=age,update_time metadata={}
}

// WithAction names the action of a context's mutations; the version is the
// action's (entevents.Versions), and an ignored action (entevents.Ignore) runs
// without being recorded.
func ExampleWithAction() {
	client, done := openExample("example_with_action")
	defer done()
	ctx := context.Background()

	u := client.User.Create().SetName("Jane").SetEmail("jane@example.com").SaveX(ctx)
	client.User.Update().Where(user.ID(u.ID)).SetRole(user.RoleAdmin).ExecX(entevents.WithAction(ctx, "promote"))
	// User ignores import_legacy: the row is written, no event is.
	client.User.Create().SetName("Old").SetEmail("old@example.com").ExecX(entevents.WithAction(ctx, "import_legacy"))
	client.User.DeleteOne(u).ExecX(entevents.WithAction(ctx, "close_account"))

	printEvents(client)
	fmt.Println("users:", client.User.Query().CountX(ctx))
	// Output:
	// #1 User 1 create/create v2 by - changed=create_time,email,karma,name,quota,role,score,update_time metadata={}
	// #2 User 1 promote/update v1 by - changed=role,update_time metadata={}
	// #3 User 1 close_account/delete v1 by - changed= metadata={}
	// users: 1
}

// WrapDriverWith gives one client options of its own: here a PostgreSQL client
// whose transactions release the ordering lock before their commit is flushed
// (more throughput with many concurrent writers; see EventLog.EarlyUnlock for
// what readers give up). Not run: it needs a PostgreSQL server.
func ExampleWrapDriverWith() {
	db, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	if err != nil {
		log.Fatal(err)
	}
	drv := entevents.WrapDriverWith(entsql.OpenDB(dialect.Postgres, db), &entevents.DriverOptions{EarlyUnlock: true})
	client := ent.NewClient(ent.Driver(drv))
	defer client.Close()

	ctx := entevents.WithActor(context.Background(), entevents.System("importer"))
	// Commit returns once the user and its event are durable, as without the option.
	if err := client.User.Create().SetName("Ada").SetEmail("ada@example.com").Exec(ctx); err != nil {
		log.Fatal(err)
	}
}
