package replay_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/example/ent"
	_ "github.com/entevents/entevents/example/ent/runtime" // schema hooks and defaults
	"github.com/entevents/entevents/example/ent/user"
)

// openExample returns the example client on a new in-memory SQLite database.
func openExample(name string) *ent.Client {
	db, err := sql.Open("sqlite", "file:"+name+"?mode=memory&cache=shared&_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	client := ent.NewClient(ent.Driver(entevents.WrapDriver(entsql.OpenDB(dialect.SQLite, db))))
	if err := client.Schema.Create(context.Background()); err != nil {
		log.Fatal(err)
	}
	return client
}

// Rebuild the tracked tables from the event log, reporting progress.
func Example() {
	ctx := context.Background()
	client := openExample("example")
	defer client.Close()

	ada := client.User.Create().SetName("Ada").SetEmail("ada@example.com").SaveX(ctx)
	client.Post.Create().SetTitle("Notes on the Analytical Engine").SetAuthor(ada).ExecX(ctx)
	client.User.UpdateOne(ada).SetName("Ada Lovelace").ExecX(ctx)

	err := replay.Run(ctx, client, replay.OnProgress(func(p replay.Progress) {
		fmt.Printf("replayed %d/%d events\n", p.Applied, p.Total)
	}))
	if err != nil {
		log.Fatal(err)
	}
	u := client.User.Query().WithPosts().OnlyX(ctx)
	fmt.Println(u.ID, u.Name, "-", u.Edges.Posts[0].Title)
	// Output:
	// replayed 0/3 events
	// replayed 3/3 events
	// 1 Ada Lovelace - Notes on the Analytical Engine
}

// Rebuild the tables as they were after a given event.
func ExampleUntilEventID() {
	ctx := context.Background()
	client := openExample("until")
	defer client.Close()

	ada := client.User.Create().SetName("Ada").SetEmail("ada@example.com").SaveX(ctx)
	created := client.Event.Query().OnlyIDX(ctx)
	client.User.UpdateOne(ada).SetName("Ada Lovelace").ExecX(ctx)

	if err := replay.Run(ctx, client, replay.UntilEventID(created)); err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.User.GetX(ctx, ada.ID).Name)
	// Output: Ada
}

// Route events recorded by an older version of an action. The example schema
// declares entevents.Versions{"create": 2}: version 1 of the User create stored a
// full_name, which version 2 replaced by name. The route maps the old data to the
// current fields and applies it; the handler gets the replay's client, typed.
func ExampleRoute() {
	ctx := context.Background()
	client := openExample("route")
	defer client.Close()

	// An event recorded by version 1 of the application.
	created := time.Date(2019, 6, 1, 9, 0, 0, 0, time.UTC)
	client.Event.Create().SetEntity("User").SetRecordID("7").SetAction("create").SetActionType("create").
		SetVersion(1).SetOccurredAt(created).SetChangedFields([]string{"email", "full_name"}).
		SetData(json.RawMessage(`{"fields":{"full_name":"Grace Hopper","email":"grace@example.com",
			"create_time":"2019-06-01T09:00:00Z","update_time":"2019-06-01T09:00:00Z",
			"role":"member","karma":0,"quota":0,"score":0}}`)).
		ExecX(ctx)
	// And one recorded by the current version.
	client.User.Create().SetName("Ada Lovelace").SetEmail("ada@example.com").ExecX(ctx)

	legacyCreate := func(ctx context.Context, c *ent.Client, ev *replay.Event) error {
		v1, err := replay.Fields[struct {
			FullName string `json:"full_name"`
			Email    string `json:"email"`
		}](ev)
		if err != nil {
			return err
		}
		// Version 1 did not check that emails were unique: skip duplicates.
		if dup, err := c.User.Query().Where(user.Email(v1.Email)).Exist(ctx); err != nil || dup {
			return err
		}
		d, err := ev.Document()
		if err != nil {
			return err
		}
		delete(d.Fields, "full_name")
		if d.Fields["name"], err = json.Marshal(v1.FullName); err != nil {
			return err
		}
		if err := ev.SetDocument(d); err != nil {
			return err
		}
		// Apply writes the user with its recorded id, without hooks.
		return ev.Apply(ctx)
	}
	err := replay.Run(ctx, client, replay.Route(
		replay.Match{Entity: "User", Action: "create", Versions: []int{1}},
		replay.Handler(legacyCreate),
	))
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range client.User.Query().Order(user.ByID()).AllX(ctx) {
		fmt.Println(u.ID, u.Name)
	}
	fmt.Println("Grace since", client.User.GetX(ctx, 7).CreateTime.Format(time.DateOnly))
	// Without the route, the old event is an error naming it.
	err = replay.Run(ctx, client)
	fmt.Println(err)
	// Output:
	// 1 Ada Lovelace
	// 7 Grace Hopper
	// Grace since 2019-06-01
	// entevents: event 1 (User create v1): field "full_name": cannot decode event: unknown field of User
}
