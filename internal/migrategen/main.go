// Command migrategen writes the versioned Atlas migrations of the example schema,
// for SQLite and PostgreSQL, under example/ent/migrate/migrations/. Run it after a
// schema change (make migrations); a test checks that no change is pending.
//
//	go run ./internal/migrategen [-name add_x] [-check]
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/entevents/entevents/internal/migrations"
)

func main() {
	name := flag.String("name", "changes", "name of the new migration files")
	check := flag.Bool("check", false, "fail if the migrations are not up to date instead of writing them")
	flag.Parse()
	if err := run(context.Background(), *name, *check); err != nil {
		fmt.Fprintln(os.Stderr, "migrategen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, name string, check bool) error {
	for _, d := range migrations.Dialects {
		dir := migrations.Dir(d)
		if check {
			pending, err := migrations.Pending(ctx, d)
			if err != nil {
				return err
			}
			if pending {
				return fmt.Errorf("%s migrations in %s are not up to date: run make migrations", d, dir)
			}
			continue
		}
		if err := migrations.Write(ctx, d, dir, name); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			return err
		}
		fmt.Println("migrations:", dir)
	}
	return nil
}
