// Package bench holds the entevents benchmarks: tracked against untracked writes,
// concurrent writers with and without the ordering lock, and replay. The Go
// benchmarks of bench_test.go and the table printer internal/benchtable (make
// bench) run the same functions. Internal.
//
// The untracked baseline is the same schema, client and driver with the capture
// hook bypassed: the context is marked with eventlog.WithReplaying, which makes
// the hook call the next mutator at once. Both sides thus run identical ent code
// on identical tables and data; the difference is what entevents adds (the hook,
// resolving ids, encoding, the event INSERT and the ordering lock).
package bench

import (
	"context"
	"database/sql"
	"fmt"
	neturl "net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver
	_ "modernc.org/sqlite"             // the pure-Go SQLite driver

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/example/ent"
	_ "github.com/entevents/entevents/example/ent/runtime" // schema hooks and defaults
	"github.com/entevents/entevents/internal/fixture"
	"github.com/entevents/entevents/internal/testdb"
)

// DB is a benchmark database with the example schema.
type DB struct {
	Dialect string
	SQL     *sql.DB
	// Client is wrapped with entevents; the ordering lock is on (PostgreSQL).
	Client *ent.Client
	// NoLock is Client with the ordering lock off (DriverOptions.DisableLock).
	NoLock *ent.Client
	// Early is Client with the ordering lock released before the commit is
	// flushed (DriverOptions.EarlyUnlock).
	Early *ent.Client
	// Name describes the database in reports.
	Name string

	seq   atomic.Int64
	close func() error
}

// Close closes the database and drops it if it was created for the benchmarks.
func (db *DB) Close() error { return db.close() }

// Untracked returns ctx with capture bypassed: the baseline of every ratio.
func Untracked(ctx context.Context) context.Context { return eventlog.WithReplaying(ctx) }

func newDB(dialectName string, sqlDB *sql.DB, name string, closeFn func() error) *DB {
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(16)
	return &DB{
		Dialect: dialectName,
		SQL:     sqlDB,
		Client:  ent.NewClient(ent.Driver(eventlog.WrapDriver(entsql.OpenDB(dialectName, sqlDB)))),
		NoLock: ent.NewClient(ent.Driver(eventlog.WrapDriverWith(entsql.OpenDB(dialectName, sqlDB),
			&eventlog.DriverOptions{DisableLock: true}))),
		Early: ent.NewClient(ent.Driver(eventlog.WrapDriverWith(entsql.OpenDB(dialectName, sqlDB),
			&eventlog.DriverOptions{EarlyUnlock: true}))),
		Name:  name,
		close: closeFn,
	}
}

// OpenSQLite creates the example schema in a new SQLite file at path, in WAL mode
// with synchronous=NORMAL (the usual production setting for WAL).
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	sqlDB, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(30000)"+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	if err := fixture.CreateSchema(ctx, dialect.SQLite, sqlDB); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	var version string
	_ = sqlDB.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&version)
	return newDB(dialect.SQLite, sqlDB, "SQLite "+version+" (file, WAL, synchronous=NORMAL)", sqlDB.Close), nil
}

// PostgresDSN returns the server DSN (see testdb.PostgresDSN).
func PostgresDSN() string { return testdb.PostgresDSN() }

// OpenPostgres creates a new database on the server of dsn, with the example
// schema; Close drops it.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("bench: PostgreSQL unreachable: %w", err)
	}
	url, dropDB, err := testdb.ScratchDatabase(ctx, dsn, "entevents_bench", "")
	if err != nil {
		return nil, err
	}
	sqlDB, err := sql.Open("pgx", url)
	if err != nil {
		_ = dropDB()
		return nil, err
	}
	drop := func() error {
		_ = sqlDB.Close()
		return dropDB()
	}
	if err := fixture.CreateSchema(ctx, dialect.Postgres, sqlDB); err != nil {
		_ = drop()
		return nil, err
	}
	var version string
	_ = sqlDB.QueryRowContext(ctx, "SHOW server_version").Scan(&version)
	if i := strings.IndexByte(version, ' '); i > 0 {
		version = version[:i]
	}
	return newDB(dialect.Postgres, sqlDB, "PostgreSQL "+version+" ("+host(dsn)+")", drop), nil
}

// name returns a name unique in the database's benchmarks.
func (db *DB) name(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, db.seq.Add(1))
}

// fatal fails b with err, printing err to stderr too: testing.Benchmark, which
// internal/benchtable uses, discards the benchmark's log.
func fatal(b *testing.B, err error) {
	fmt.Fprintf(os.Stderr, "bench: %s: %v\n", b.Name(), err)
	b.Fatal(err)
}

// host returns the host:port of a DSN, for reports.
func host(dsn string) string {
	if u, err := neturl.Parse(dsn); err == nil {
		return u.Host
	}
	return "?"
}
