// Package migrations generates and checks the versioned Atlas migrations of the
// example schema (example/ent/migrate/migrations/{sqlite,postgres}). Internal.
package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5/stdlib"
	sqlite "modernc.org/sqlite"

	"github.com/entevents/entevents/example/ent/migrate"
	"github.com/entevents/entevents/internal/testdb"
)

// Dialects are the databases migrations are kept for.
var Dialects = []string{dialect.SQLite, dialect.Postgres}

// Dir returns the migration directory of a dialect.
func Dir(d string) string {
	_, file, _, _ := runtime.Caller(0)
	name := "sqlite"
	if d == dialect.Postgres {
		name = "postgres"
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "example", "ent", "migrate", "migrations", name)
}

var registerOnce sync.Once

// registerSQLite3 makes the pure-Go SQLite driver available under the name Atlas's
// SQLite client opens ("sqlite3").
func registerSQLite3() {
	registerOnce.Do(func() {
		for _, n := range sql.Drivers() {
			if n == "sqlite3" {
				return
			}
		}
		sql.Register("sqlite3", &sqlite.Driver{})
	})
}

// registerPostgres makes pgx available under the name Atlas's PostgreSQL client
// opens ("postgres").
func registerPostgres() {
	registerPGOnce.Do(func() {
		for _, n := range sql.Drivers() {
			if n == "postgres" {
				return
			}
		}
		sql.Register("postgres", stdlib.GetDefaultDriver())
	})
}

var registerPGOnce sync.Once

// devURL returns an empty dev database for Atlas to replay and diff in, and a
// function that drops it.
func devURL(ctx context.Context, d string) (string, func(), error) {
	if d == dialect.SQLite {
		registerSQLite3()
		return fmt.Sprintf("sqlite://migrategen%d?mode=memory&_pragma=foreign_keys(1)", time.Now().UnixNano()), func() {}, nil
	}
	registerPostgres()
	url, drop, err := testdb.ScratchDatabase(ctx, testdb.PostgresDSN(), "entevents_migrate_dev", "search_path=public")
	if err != nil {
		return "", nil, err
	}
	return url, func() { _ = drop() }, nil
}

func options(d, dir string) ([]schema.MigrateOption, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ld, err := atlas.NewLocalDir(dir)
	if err != nil {
		return nil, err
	}
	return []schema.MigrateOption{
		schema.WithDir(ld),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(d),
		schema.WithFormatter(atlas.DefaultFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	}, nil
}

// Write adds a migration named name to dir when the schema changed.
func Write(ctx context.Context, d, dir, name string) error {
	url, cleanup, err := devURL(ctx, d)
	if err != nil {
		return err
	}
	defer cleanup()
	opts, err := options(d, dir)
	if err != nil {
		return err
	}
	return migrate.NamedDiff(ctx, url, name, opts...)
}

// Pending reports whether the schema has changes that no migration in the
// dialect's directory covers. It diffs into a copy of the directory.
func Pending(ctx context.Context, d string) (bool, error) {
	src := Dir(d)
	tmp, err := os.MkdirTemp("", "entevents-migrations-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	entries, err := os.ReadDir(src)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return false, err
		}
		if err := os.WriteFile(filepath.Join(tmp, e.Name()), b, 0o644); err != nil {
			return false, err
		}
	}
	if err := Write(ctx, d, tmp, "pending"); err != nil {
		return false, err
	}
	after, err := os.ReadDir(tmp)
	if err != nil {
		return false, err
	}
	return len(after) != len(entries), nil
}
