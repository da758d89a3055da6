// Package testdb gives each test an isolated database: a uniquely named in-memory
// SQLite database, or a fresh PostgreSQL database cloned from a migrated template
// (pgtestdb). Internal to the entevents tests.
//
// PostgreSQL is reached at ENTEVENTS_PG_DSN's host (default postgres@127.0.0.1:5432,
// trust auth). When it cannot be reached the test is skipped, except with CI=true,
// where it fails.
package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver
	"github.com/peterldowns/pgtestdb"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// Dialects lists the databases every capability is tested on.
var Dialects = []string{dialect.SQLite, dialect.Postgres}

var seq atomic.Int64

// SQLiteDSN returns the DSN of a new, uniquely named in-memory SQLite database with
// foreign keys on.
func SQLiteDSN(t testing.TB) string {
	name := strings.NewReplacer("/", "_", " ", "_", "#", "_").Replace(t.Name())
	return fmt.Sprintf("file:%s_%d_%d?mode=memory&cache=shared&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)",
		name, time.Now().UnixNano(), seq.Add(1))
}

// SQLite opens a new in-memory SQLite database for t. It holds one connection so
// that every statement sees the same database; it is closed when t ends.
func SQLite(t testing.TB) *sql.DB {
	db, err := sql.Open("sqlite", SQLiteDSN(t))
	if err != nil {
		t.Fatalf("testdb: open sqlite: %v", err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// SQLiteFile opens a SQLite database in a file under t.TempDir(), in WAL mode, for
// tests that need several connections (concurrent writers).
func SQLiteFile(t testing.TB) *sql.DB {
	path := t.TempDir() + "/test.db"
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatalf("testdb: open sqlite file: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Migrator prepares a template PostgreSQL database.
type Migrator struct {
	// Key identifies the schema the migration produces (a hash of it).
	Key string
	// Run creates the schema in db.
	Run func(ctx context.Context, db *sql.DB) error
}

// Hash implements pgtestdb.Migrator.
func (m Migrator) Hash() (string, error) { return m.Key, nil }

// Migrate implements pgtestdb.Migrator.
func (m Migrator) Migrate(ctx context.Context, db *sql.DB, _ pgtestdb.Config) error {
	return m.Run(ctx, db)
}

// PostgresDSN returns the server DSN: ENTEVENTS_PG_DSN, or
// postgres://postgres@127.0.0.1:5432/postgres.
func PostgresDSN() string {
	if dsn := os.Getenv("ENTEVENTS_PG_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// ScratchDatabase creates an empty database named prefix_<unique> on the server of
// dsn and returns its DSN (with query parameters extra appended) and a function
// that drops it. For the benchmarks and the migration generator, which live
// outside tests.
func ScratchDatabase(ctx context.Context, dsn, prefix, extra string) (string, func() error, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, err
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	name := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("testdb: create database %s: %w", name, err)
	}
	drop := func() error {
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			return err
		}
		defer admin.Close()
		_, err = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	}
	u.Path = "/" + name
	if extra != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += extra
	}
	return u.String(), drop, nil
}

// PostgresConfig returns the server configuration from ENTEVENTS_PG_DSN.
func PostgresConfig() pgtestdb.Config {
	u, err := url.Parse(PostgresDSN())
	if err != nil {
		panic(fmt.Sprintf("testdb: ENTEVENTS_PG_DSN: %v", err))
	}
	pass, _ := u.User.Password()
	return pgtestdb.Config{
		DriverName:                "pgx",
		Host:                      u.Hostname(),
		Port:                      u.Port(),
		User:                      u.User.Username(),
		Password:                  pass,
		Database:                  strings.TrimPrefix(u.Path, "/"),
		Options:                   u.RawQuery,
		ForceTerminateConnections: true,
	}
}

// RequirePostgres skips t when PostgreSQL cannot be reached, or fails it with
// CI=true.
func RequirePostgres(t testing.TB) {
	t.Helper()
	conf := PostgresConfig()
	db, err := conf.Connect()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		_ = db.Close()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("testdb: PostgreSQL is required with CI=true but unreachable at %s:%s: %v", conf.Host, conf.Port, err)
		}
		t.Skipf("testdb: PostgreSQL unreachable at %s:%s (set CI=true to fail instead): %v", conf.Host, conf.Port, err)
	}
}

// Postgres returns a connection string to a new PostgreSQL database for t, cloned
// from a template that m migrated.
func Postgres(t testing.TB, m Migrator) string {
	t.Helper()
	RequirePostgres(t)
	return pgtestdb.Custom(t, PostgresConfig(), m).URL()
}

// OpenPostgres opens a new PostgreSQL database for t (see Postgres).
func OpenPostgres(t testing.TB, m Migrator) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", Postgres(t, m))
	if err != nil {
		t.Fatalf("testdb: open postgres: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
