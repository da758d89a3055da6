package migrations_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/internal/fixture"
	"github.com/entevents/entevents/internal/migrations"
	"github.com/entevents/entevents/internal/testdb"
)

// apply runs the migration files of a dialect, in order, on db.
func apply(ctx context.Context, d string, db *sql.DB) error {
	dir := migrations.Dir(d)
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "--") {
				continue
			}
			if _, err := db.ExecContext(ctx, line); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestMigrationsUpToDate(t *testing.T) {
	t.Parallel()
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			if d == dialect.Postgres {
				testdb.RequirePostgres(t)
			}
			pending, err := migrations.Pending(context.Background(), d)
			require.NoError(t, err)
			require.False(t, pending, "the schema changed: run make migrations")
		})
	}
}

// TestMigrationsApply applies the versioned migrations to an empty database and
// records an event through them.
func TestMigrationsApply(t *testing.T) {
	t.Parallel()
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var db *sql.DB
			if d == dialect.SQLite {
				db = testdb.SQLite(t)
			} else {
				db = testdb.OpenPostgres(t, testdb.Migrator{Key: "entevents-empty", Run: func(context.Context, *sql.DB) error { return nil }})
			}
			require.NoError(t, apply(ctx, d, db))
			client := fixture.NewClient(d, db)
			u, err := client.User.Create().SetName("Ada").SetEmail("ada@example.com").Save(entevents.WithActor(ctx, entevents.System("migration-test")))
			require.NoError(t, err)
			ev, err := client.Event.Query().Where(event.Entity("User")).Only(ctx)
			require.NoError(t, err)
			require.Equal(t, "1", ev.RecordID)
			require.Equal(t, u.ID, 1)
			require.Equal(t, "migration-test", *ev.SystemActor)
		})
	}
}
