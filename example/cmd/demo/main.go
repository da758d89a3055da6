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
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
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
func open(ctx context.Context, dsn, sqlitePath string) (*ent.Client, string, error) {
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
	client := ent.NewClient(ent.Driver(entevents.WrapDriver(entsql.OpenDB(dialect, db))))
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
	client, where, err := open(ctx, dsn, sqlitePath)
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

	fmt.Fprintln(out)
	return printLog(ctx, out, client)
}

func rollback(tx *ent.Tx, err error) error {
	if rerr := tx.Rollback(); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// printLog prints the event log as an aligned table.
func printLog(ctx context.Context, out io.Writer, client *ent.Client) error {
	events, err := client.Event.Query().Order(event.ByID()).All(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tOCCURRED\tACTOR\tENTITY\tRECORD\tACTION\tTYPE\tV\tCHANGED\tMETADATA")
	for _, e := range events {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			e.ID, e.OccurredAt.Format("15:04:05.000"), actor(e), e.Entity, shorten(e.RecordID, 8), e.Action, e.ActionType,
			e.Version, strings.Join(e.ChangedFields, ","), string(e.Metadata))
	}
	return w.Flush()
}

func actor(e *ent.Event) string {
	switch {
	case e.UserID != nil:
		return fmt.Sprintf("user:%d", *e.UserID)
	case e.SystemActor != nil:
		return "system:" + *e.SystemActor
	default:
		return "-"
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
