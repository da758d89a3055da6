// Command demo runs a realistic session against the entevents example schema and
// prints the event log. It uses an embedded SQLite file by default, or PostgreSQL
// with -dsn:
//
//	go run ./example/cmd/demo
//	go run ./example/cmd/demo -dsn 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/history"
	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/post"
	_ "github.com/entevents/entevents/example/ent/runtime"
	"github.com/entevents/entevents/example/ent/user"
)

func main() {
	var (
		dsn    = flag.String("dsn", "", "PostgreSQL connection string; the demo uses its own tables in that database, dropping the tables of an earlier run")
		sqlite = flag.String("sqlite", filepath.Join(os.TempDir(), "entevents-demo.db"), "SQLite database file used when -dsn is empty; recreated on every run")
	)
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dsn, *sqlite); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// open returns a client whose driver is wrapped by entevents, on a fresh schema.
// Events are encrypted with the keyring in ENTEVENTS_KEYS; without one the demo
// generates a key and prints, once, how to reuse it.
func open(ctx context.Context, out io.Writer, dsn, sqlitePath string) (*ent.Client, string, error) {
	var (
		db      *sql.DB
		dialect string
		where   string
		err     error
	)
	if dsn != "" {
		dialect, where = dialectPostgres, "PostgreSQL"
		db, err = sql.Open("pgx", dsn)
	} else {
		dialect, where = dialectSQLite, "SQLite file "+sqlitePath
		if err := os.Remove(sqlitePath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, "", err
		}
		db, err = sql.Open("sqlite", "file:"+sqlitePath+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	}
	if err != nil {
		return nil, "", err
	}
	vault, err := entevents.KeyringFromEnvOrGenerate(entevents.KeysEnv, func(format string, args ...any) {
		fmt.Fprintf(out, "note: "+format+"\n", args...)
	})
	if err != nil {
		return nil, "", err
	}
	drv := entevents.WrapDriverWith(entsql.OpenDB(dialect, db), &entevents.DriverOptions{Vault: vault})
	client := ent.NewClient(ent.Driver(drv))
	if dsn != "" {
		if err := dropTables(ctx, db); err != nil {
			return nil, "", err
		}
	}
	if err := client.Schema.Create(ctx); err != nil {
		return nil, "", fmt.Errorf("create schema: %w", err)
	}
	return client, where, nil
}

const (
	dialectSQLite   = dialect.SQLite
	dialectPostgres = dialect.Postgres
)

func dropTables(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS post_tags, comments, profiles, posts, tags, users, events CASCADE`)
	return err
}

func run(ctx context.Context, out io.Writer, dsn, sqlitePath string) error {
	client, where, err := open(ctx, out, dsn, sqlitePath)
	if err != nil {
		return err
	}
	defer client.Close()
	fmt.Fprintf(out, "entevents demo on %s\n\n", where)

	// A background job seeds the catalogue: a system actor, one CreateBulk.
	seedCtx := entevents.WithActor(ctx, entevents.System("seed-job"))
	seedCtx = entevents.WithMetadata(seedCtx, map[string]any{"job_run": "2026-11-23T09:00"})
	tags, err := client.Tag.CreateBulk(
		client.Tag.Create().SetName("go"),
		client.Tag.Create().SetName("ent"),
		client.Tag.Create().SetName("events"),
	).Save(seedCtx)
	if err != nil {
		return fmt.Errorf("seed tags: %w", err)
	}

	// Jane registers: a named action, with the request id as metadata.
	regCtx := entevents.WithAction(entevents.WithMetadata(ctx, map[string]any{"request_id": "req-7f3a", "ip": "203.0.113.9"}), "register")
	jane, err := client.User.Create().
		SetName("Jane Doe").SetEmail("jane@example.com").SetPasswordHash("$2a$10$secret-hash").
		Save(regCtx)
	if err != nil {
		return fmt.Errorf("register jane: %w", err)
	}
	bob, err := client.User.Create().SetName("Bob").SetEmail("bob@example.com").Save(regCtx)
	if err != nil {
		return fmt.Errorf("register bob: %w", err)
	}

	// Jane writes two posts and sets up her profile, in one transaction.
	janeCtx := entevents.WithActor(ctx, jane)
	tx, err := client.Tx(janeCtx)
	if err != nil {
		return err
	}
	if _, err := tx.Profile.Create().SetBio("Gopher").SetUser(jane).Save(janeCtx); err != nil {
		return rollback(tx, err)
	}
	p1, err := tx.Post.Create().SetTitle("Event sourcing with ent").SetAuthor(jane).AddTags(tags[0], tags[1], tags[2]).Save(janeCtx)
	if err != nil {
		return rollback(tx, err)
	}
	if _, err := tx.Post.Create().SetTitle("Draft: replay internals").SetAuthor(jane).AddTags(tags[2]).Save(janeCtx); err != nil {
		return rollback(tx, err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}

	// Bob reads and comments; the view counter is a numeric add.
	bobCtx := entevents.WithActor(ctx, bob)
	if err := client.Post.UpdateOne(p1).AddViews(1).Exec(bobCtx); err != nil {
		return err
	}
	c, err := client.Comment.Create().SetBody("Great post!").SetPost(p1).SetAuthor(bob).Save(bobCtx)
	if err != nil {
		return err
	}

	// Jane publishes all her drafts at once: one UPDATE, one event per row.
	n, err := client.Post.Update().
		Where(post.AuthorID(jane.ID), post.StatusEQ(post.StatusDraft)).
		SetStatus(post.StatusPublished).SetPublishedAt(time.Now()).
		Save(janeCtx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "published %d posts in one bulk update\n", n)

	// Bob deletes his comment and Jane gets karma through an upsert by email.
	if err := client.Comment.DeleteOneID(c.ID).Exec(bobCtx); err != nil {
		return err
	}
	adminCtx := entevents.WithActor(ctx, entevents.System("karma-job"))
	if err := client.User.Create().SetName("Jane Doe").SetEmail("jane@example.com").SetKarma(10).
		OnConflictColumns(user.FieldEmail).UpdateKarma().Exec(adminCtx); err != nil {
		return err
	}

	// A bad actor type is refused before anything is written.
	_, err = client.Tag.Create().SetName("nope").Save(entevents.WithActor(ctx, 42))
	fmt.Fprintf(out, "unknown actor refused: %v\n", errors.Is(err, entevents.ErrUnknownActor))

	// An event written by version 1 of the application, before the split of
	// full_name into name: replay routes it to a legacy handler.
	if err := writeLegacyEvent(ctx, client); err != nil {
		return err
	}

	fmt.Fprintln(out)
	if err := printLog(ctx, out, client); err != nil {
		return err
	}
	return replayDemo(ctx, out, client)
}

// writeLegacyEvent stores a user create recorded by version 1 of the create
// action, whose data had full_name where version 2 has name.
func writeLegacyEvent(ctx context.Context, client *ent.Client) error {
	at := time.Date(2019, 6, 1, 9, 0, 0, 0, time.UTC)
	return client.Event.Create().
		SetEntity("User").SetRecordID("100").SetAction("create").SetActionType("create").SetVersion(1).
		SetOccurredAt(at).SetChangedFields([]string{"email", "full_name"}).
		SetData(json.RawMessage(`{"fields":{"full_name":"Grace Hopper","email":"grace@example.com",` +
			`"create_time":"2019-06-01T09:00:00Z","update_time":"2019-06-01T09:00:00Z","role":"member","karma":0,"quota":0,"score":0}}`)).
		SetMetadata(json.RawMessage(`{"imported":"v1"}`)).
		Exec(ctx)
}

// legacyUserCreate replays a version 1 user create: full_name becomes name.
func legacyUserCreate(ctx context.Context, _ *ent.Client, ev *replay.Event) error {
	d, err := ev.Document()
	if err != nil {
		return err
	}
	d.Fields["name"] = d.Fields["full_name"]
	delete(d.Fields, "full_name")
	if err := ev.SetDocument(d); err != nil {
		return err
	}
	return ev.Apply(ctx)
}

// replayDemo rebuilds the tables as they were before the bulk publish, then
// rebuilds the present, showing progress.
func replayDemo(ctx context.Context, out io.Writer, client *ent.Client) error {
	legacy := replay.Route(replay.Match{Entity: "User", Action: "create", Versions: []int{1}}, replay.Handler(legacyUserCreate))
	publish, err := history.Find(ctx, client, &history.Query{Entity: "Post", Page: history.Page{Limit: 100}})
	if err != nil {
		return err
	}
	var before time.Time
	for _, ev := range publish {
		if ev.ActionType == "update" && contains(ev.ChangedFields, "status") {
			before = ev.OccurredAt.Add(-time.Microsecond)
			break
		}
	}
	fmt.Fprintf(out, "\nreplay until %s (just before the bulk publish):\n", before.Format("15:04:05.000000"))
	if err := replay.Run(ctx, client, legacy, replay.UntilTime(before), replay.PageSize(4), replay.OnProgress(bar(out))); err != nil {
		return err
	}
	if err := printPosts(ctx, out, client); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nreplay everything:")
	if err := replay.Run(ctx, client, legacy, replay.PageSize(4), replay.OnProgress(bar(out))); err != nil {
		return err
	}
	if err := printPosts(ctx, out, client); err != nil {
		return err
	}
	grace, err := client.User.Get(ctx, 100)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "legacy v1 user restored by the route: %d %s <%s>\n", grace.ID, grace.Name, grace.Email)
	return nil
}

// bar returns a progress callback that draws a bar on its own line per page.
func bar(out io.Writer) func(replay.Progress) {
	return func(p replay.Progress) {
		const width = 30
		done := width
		if p.Total > 0 {
			done = int(int64(width) * int64(p.Applied) / int64(p.Total))
		}
		fmt.Fprintf(out, "  [%s%s] %d/%d events\n", strings.Repeat("#", done), strings.Repeat(".", width-done), p.Applied, p.Total)
	}
}

func printPosts(ctx context.Context, out io.Writer, client *ent.Client) error {
	posts, err := client.Post.Query().Order(post.ByID()).All(ctx)
	if err != nil {
		return err
	}
	for _, p := range posts {
		fmt.Fprintf(out, "  post %d %-28q %-9s views=%d\n", p.ID, p.Title, p.Status, p.Views)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func rollback(tx *ent.Tx, err error) error {
	if rerr := tx.Rollback(); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// printLog prints the event log as an aligned table. The events are read through
// the history package, which decrypts them with the client's vault.
func printLog(ctx context.Context, out io.Writer, client *ent.Client) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tOCCURRED\tACTOR\tENTITY\tRECORD\tACTION\tTYPE\tV\tCHANGED\tMETADATA")
	for e, err := range history.All(ctx, client, &history.Query{Raw: true}) {
		if err != nil {
			return err
		}
		md, err := json.Marshal(e.Metadata)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%v\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			e.ID, e.OccurredAt.Format("2006-01-02 15:04:05.000"), actor(e), e.Entity, shorten(fmt.Sprint(e.RecordID), 8), e.Action, e.ActionType,
			e.Version, shorten(strings.Join(e.ChangedFields, ","), 48), md)
	}
	return w.Flush()
}

func actor(e *history.Event) string {
	switch e.ActorColumn {
	case "":
		return "-"
	case "user_id":
		return fmt.Sprintf("user:%v", e.Actor)
	default:
		return fmt.Sprintf("system:%v", e.Actor)
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
