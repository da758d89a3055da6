package history_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "modernc.org/sqlite"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/history"
	"github.com/entevents/entevents/example/ent"
	_ "github.com/entevents/entevents/example/ent/runtime"
	"github.com/entevents/entevents/example/ent/user"
)

// The audit trail of one user: its events, what each update changed, and the
// user as it was before it was anonymized.
func Example() {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:history_example?mode=memory&cache=shared&_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	client := ent.NewClient(ent.Driver(entevents.WrapDriver(entsql.OpenDB(dialect.SQLite, db))))
	if err := client.Schema.Create(ctx); err != nil {
		log.Fatal(err)
	}

	admin := client.User.Create().SetName("Ada").SetEmail("ada@example.com").SetRole(user.RoleAdmin).
		SaveX(entevents.WithActor(ctx, entevents.System("seed")))
	ctx = entevents.WithActor(ctx, admin)
	jane := client.User.Create().SetName("Jane").SetEmail("jane@example.com").SetAge(30).SaveX(ctx)
	client.User.UpdateOne(jane).SetName("Janet").AddKarma(5).ExecX(ctx)
	client.User.UpdateOne(jane).ClearAge().SetEmail("anonymous@example.com").
		ExecX(entevents.WithAction(ctx, "anonymize"))
	client.User.DeleteOne(jane).ExecX(ctx)

	evs, err := history.Of(ctx, client, "User", jane.ID, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range evs {
		fmt.Printf("event %v: %s (%s v%d) by %s=%v\n", ev.ID, ev.Action, ev.ActionType, ev.Version, ev.ActorColumn, ev.Actor)
	}

	diffs, err := history.Diffs(ctx, client, "User", jane.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range diffs {
		fmt.Printf("event %v %s:\n", d.Event.ID, d.Event.Action)
		for _, f := range d.Fields {
			if f.Field != "update_time" {
				fmt.Println("  ", f)
			}
		}
	}

	before, err := history.AsOfEvent(ctx, client, "User", jane.ID, evs[1].ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("before anonymize:", before.Fields["name"], before.Fields["email"], before.Fields["age"], before.Fields["karma"])
	now, err := history.Current(ctx, client, "User", jane.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exists now:", now.Exists)

	byAda, err := history.ByActor(ctx, client, admin, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("events by Ada:", len(byAda))
	// Output:
	// event 2: create (create v2) by user_id=1
	// event 3: update (update v1) by user_id=1
	// event 4: anonymize (update v1) by user_id=1
	// event 5: delete (delete v1) by user_id=1
	// event 3 update:
	//    name: "Jane" → "Janet"
	//    karma: 0 → 5 (+5)
	// event 4 anonymize:
	//    email: "jane@example.com" → "anonymous@example.com"
	//    age: 30 → NULL
	// before anonymize: Janet jane@example.com 30 5
	// exists now: false
	// events by Ada: 4
}
