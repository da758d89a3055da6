package eventlog_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/tag"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
	"github.com/entevents/entevents/internal/testdb"
)

// tailBundle is a database with concurrent writers and one reader that tails the
// event log by id.
type tailBundle struct {
	db     *sql.DB
	client *ent.Client
}

// tailResult is what a tail run observed.
type tailResult struct {
	committed int     // events of the transactions that committed, counted by the writers
	stored    []int64 // ids of the events table once the writers are done
	seen      []int64 // ids the reader returned, in the order it returned them
	rollbacks int
	elapsed   time.Duration
}

// missed returns the stored ids the reader never saw: each became visible after the
// reader had passed a larger id.
func (r *tailResult) missed() []int64 {
	seen := make(map[int64]bool, len(r.seen))
	for _, id := range r.seen {
		seen[id] = true
	}
	var out []int64
	for _, id := range r.stored {
		if !seen[id] {
			out = append(out, id)
		}
	}
	return out
}

func setupTailPostgres(t *testing.T, opts *eventlog.DriverOptions) *tailBundle {
	t.Helper()
	db := testdb.OpenPostgres(t, fixture.Migrator())
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	drv := eventlog.WrapDriverWith(entsql.OpenDB(dialect.Postgres, db), opts)
	return &tailBundle{db: db, client: ent.NewClient(ent.Driver(drv))}
}

func setupTailSQLite(t *testing.T) *tailBundle {
	t.Helper()
	db := testdb.SQLiteFile(t)
	ctx := context.Background()
	require.NoError(t, fixture.CreateSchema(ctx, dialect.SQLite, db))
	return &tailBundle{db: db, client: ent.NewClient(ent.Driver(eventlog.WrapDriver(entsql.OpenDB(dialect.SQLite, db))))}
}

// runTail runs writers concurrent writers until their committed transactions hold
// at least target events, with a reader polling "id > last_seen" the whole time.
// Each writer mixes single creates outside a transaction, CreateBulk, Update().Where
// and Delete().Where, in and out of transactions, and rolls back some transactions.
func runTail(t *testing.T, b *tailBundle, writers, target int) *tailResult {
	t.Helper()
	ctx := context.Background()
	var (
		committed atomic.Int64
		rollbacks atomic.Int64
		done      = make(chan struct{})
		res       = &tailResult{}
	)
	readerErr := make(chan error, 1)
	go func() {
		readerErr <- func() error {
			var last int64
			poll := func() (int, error) {
				rows, err := b.db.QueryContext(ctx, "SELECT id FROM events WHERE id > $1 ORDER BY id LIMIT 10000", last)
				if err != nil {
					return 0, err
				}
				defer rows.Close()
				n := 0
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						return 0, err
					}
					if id <= last {
						return 0, fmt.Errorf("reader got id %d after %d", id, last)
					}
					res.seen = append(res.seen, id)
					last = id
					n++
				}
				return n, rows.Err()
			}
			for {
				select {
				case <-done:
					// Drain what the last commits left.
					for {
						n, err := poll()
						if err != nil || n == 0 {
							return err
						}
					}
				default:
				}
				if _, err := poll(); err != nil {
					return err
				}
			}
		}()
	}()

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := &tailWriter{client: b.client, w: w, rng: rand.New(rand.NewPCG(uint64(w), 42))}
			for committed.Load() < int64(target) {
				n, rolledBack, err := wr.step(ctx)
				if err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
				committed.Add(int64(n))
				if rolledBack {
					rollbacks.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	close(done)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, <-readerErr)

	rows, err := b.db.QueryContext(ctx, "SELECT id FROM events ORDER BY id")
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		res.stored = append(res.stored, id)
	}
	require.NoError(t, rows.Err())
	res.committed, res.rollbacks = int(committed.Load()), int(rollbacks.Load())
	return res
}

// tailWriter is one writer of runTail. It only touches rows it created, so writers
// contend for nothing but the event log.
type tailWriter struct {
	client *ent.Client
	w, seq int
	rng    *rand.Rand
	users  []int // committed users of the writer
	tags   []int // committed tags of the writer
}

func (wr *tailWriter) name() string {
	wr.seq++
	return fmt.Sprintf("w%d-%d", wr.w, wr.seq)
}

// step runs one operation and returns the number of events it committed, and
// whether it rolled back.
func (wr *tailWriter) step(ctx context.Context) (int, bool, error) {
	switch op := wr.rng.IntN(10); {
	case op < 3 || len(wr.users) < 10: // one create, in a transaction of its own
		name := wr.name()
		u, err := wr.client.User.Create().SetName(name).SetEmail(name + "@x").Save(ctx)
		if err != nil {
			return 0, false, err
		}
		wr.users = append(wr.users, u.ID)
		return 1, false, nil
	case op < 5: // Update().Where over some of the writer's users, no transaction
		ids := wr.pick(wr.users, 1+wr.rng.IntN(20))
		n, err := wr.client.User.Update().Where(user.IDIn(ids...)).AddKarma(1).Save(ctx)
		return n, false, err
	default: // a transaction: CreateBulk, Update().Where, a delete; some roll back
		tx, err := wr.client.Tx(ctx)
		if err != nil {
			return 0, false, err
		}
		n, tags, err := wr.inTx(ctx, tx)
		if err != nil {
			return 0, false, errors.Join(err, tx.Rollback())
		}
		if wr.rng.IntN(6) == 0 {
			return 0, true, tx.Rollback()
		}
		if err := tx.Commit(); err != nil {
			return 0, false, err
		}
		wr.tags = append(wr.tags, tags...)
		return n, false, nil
	}
}

func (wr *tailWriter) inTx(ctx context.Context, tx *ent.Tx) (events int, created []int, err error) {
	builders := make([]*ent.TagCreate, 5+wr.rng.IntN(30))
	for i := range builders {
		builders[i] = tx.Tag.Create().SetName(wr.name())
	}
	tags, err := tx.Tag.CreateBulk(builders...).Save(ctx)
	if err != nil {
		return 0, nil, err
	}
	for _, tg := range tags {
		created = append(created, tg.ID)
	}
	events = len(tags)
	n, err := tx.User.Update().Where(user.IDIn(wr.pick(wr.users, 1+wr.rng.IntN(10))...)).SetAge(wr.rng.IntN(90)).Save(ctx)
	if err != nil {
		return 0, nil, err
	}
	events += n
	if len(wr.tags) > 2 {
		victim := wr.tags[len(wr.tags)-1]
		n, err := tx.Tag.Delete().Where(tag.IDIn(victim)).Exec(ctx)
		if err != nil {
			return 0, nil, err
		}
		wr.tags = wr.tags[:len(wr.tags)-1] // gone even if rolled back: the writer will not touch it again
		events += n
	}
	return events, created, nil
}

// pick returns up to n distinct ids of ids.
func (wr *tailWriter) pick(ids []int, n int) []int {
	start := wr.rng.IntN(len(ids))
	return slices.Clone(ids[start:min(start+n, len(ids))])
}

// checkTail asserts what every writer and reader must see, lock or not: the events
// of committed transactions are stored, those of rolled-back ones are not, and the
// reader never saw an id twice.
func checkTail(t *testing.T, res *tailResult, target int) {
	t.Helper()
	require.GreaterOrEqual(t, res.committed, target)
	require.Positive(t, res.rollbacks, "some transactions must roll back")
	require.Len(t, res.stored, res.committed, "stored events = events of committed transactions")
	seen := make(map[int64]bool, len(res.seen))
	for _, id := range res.seen {
		require.False(t, seen[id], "the reader saw event %d twice", id)
		seen[id] = true
	}
}

// TestTailingReaderMissesNothing is the proof of the ordering guarantee: with 8
// concurrent writers on their own connections and a reader tailing id > last_seen,
// the reader sees every committed event exactly once.
func TestTailingReaderMissesNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		open   func(t *testing.T) *tailBundle
		target int
	}{
		{"Postgres", func(t *testing.T) *tailBundle { return setupTailPostgres(t, &eventlog.DriverOptions{}) }, 20000},
		// The lock is released before the commit is flushed: the order is the
		// same (the commit is visible before the lock is released).
		{"PostgresEarlyUnlock", func(t *testing.T) *tailBundle {
			return setupTailPostgres(t, &eventlog.DriverOptions{EarlyUnlock: true})
		}, 20000},
		// SQLite runs one writer at a time: a smaller run proves the same.
		{"SQLite", setupTailSQLite, 3000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runTail(t, tc.open(t), 8, tc.target)
			checkTail(t, res, tc.target)
			require.Empty(t, res.missed(), "the reader missed committed events")
			require.Equal(t, res.stored, res.seen)
			t.Logf("%d events (%d rollbacks) in %v, reader saw all of them in order", len(res.stored), res.rollbacks, res.elapsed)
		})
	}
}

// TestTailingReaderWithoutLock runs the same workload on PostgreSQL with the
// ordering lock off. It shows that the test has teeth: the reader usually misses
// events (ids taken by one transaction that committed after a later id). It only
// logs the misses: without the lock they are likely, not certain.
func TestTailingReaderWithoutLock(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("diagnostic")
	}
	const target = 20000
	res := runTail(t, setupTailPostgres(t, &eventlog.DriverOptions{DisableLock: true}), 8, target)
	checkTail(t, res, target)
	missed := res.missed()
	if len(missed) == 0 {
		t.Logf("without the lock the reader missed nothing this time (%d events in %v); misses are likely, not certain", len(res.stored), res.elapsed)
		return
	}
	t.Logf("without the lock the reader missed %d of %d committed events (first: %v) in %v: the lock is what prevents this",
		len(missed), len(res.stored), missed[:min(10, len(missed))], res.elapsed)
}
