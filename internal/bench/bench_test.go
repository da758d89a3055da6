package bench_test

import (
	"context"
	"flag"
	"fmt"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/internal/bench"
	"github.com/entevents/entevents/internal/testdb"
)

// open returns a benchmark database of dialectName for b, closed when b ends.
func open(b *testing.B, dialectName string) *bench.DB {
	b.Helper()
	ctx := context.Background()
	var (
		db  *bench.DB
		err error
	)
	if dialectName == dialect.Postgres {
		testdb.RequirePostgres(b)
		db, err = bench.OpenPostgres(ctx, bench.PostgresDSN())
	} else {
		db, err = bench.OpenSQLite(ctx, b.TempDir()+"/bench.db")
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db
}

// BenchmarkWrites runs every write tracked and untracked on both databases:
//
//	go test -run '^$' -bench Writes/postgres/Create ./internal/bench
func BenchmarkWrites(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(d, func(b *testing.B) {
			db := open(b, d)
			for _, w := range bench.Writes {
				b.Run(w.Name, func(b *testing.B) {
					b.Run("untracked", w.Run(db, false))
					b.Run("tracked", w.Run(db, true))
				})
			}
		})
	}
}

// BenchmarkWriters runs 8 concurrent writers with the ordering lock, with the lock
// released early, and without it.
func BenchmarkWriters(b *testing.B) {
	db := open(b, dialect.Postgres)
	b.Run("lock", bench.Writers(db, 8, bench.OrderingLock))
	b.Run("early-unlock", bench.Writers(db, 8, bench.EarlyUnlock))
	b.Run("nolock", bench.Writers(db, 8, bench.NoLock))
}

var replayEvents = flag.Int("replay-events", 100000, "events of the replay benchmarks")

// BenchmarkReplay replays a log of -replay-events events shaped like an
// application's, and writes its final rows directly (the baseline).
func BenchmarkReplay(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(d, func(b *testing.B) {
			db := open(b, d)
			n, err := bench.SeedHistory(context.Background(), db, *replayEvents)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("replay", bench.Replay(db, n))
			b.Run("direct", bench.Direct(db))
		})
	}
}

// BenchmarkReplayHeap reports the peak heap of replaying -replay-events user
// creates and ten times as many.
func BenchmarkReplayHeap(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(d, func(b *testing.B) {
			db := open(b, d)
			ctx := context.Background()
			seeded := 0
			for _, n := range []int{*replayEvents, 10 * *replayEvents} {
				b.Run(fmt.Sprint(n), func(b *testing.B) {
					if err := bench.SeedCreates(ctx, db, n-seeded); err != nil {
						b.Fatal(err)
					}
					seeded = n
					for range b.N {
						b.StopTimer()
						if err := bench.Empty(ctx, db); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
						peak, err := bench.PeakHeap(func() error { return replay.Run(ctx, db.Client) })
						if err != nil {
							b.Fatal(err)
						}
						b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
					}
				})
			}
		})
	}
}

// BenchmarkFloor measures the database alone: user rows, with and without their
// event rows (see bench.Floor).
func BenchmarkFloor(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(d, func(b *testing.B) {
			db := open(b, d)
			for _, n := range []int{1, 100} {
				b.Run(fmt.Sprintf("%d/rows", n), bench.Floor(db, n, false))
				b.Run(fmt.Sprintf("%d/rows+events", n), bench.Floor(db, n, true))
			}
		})
	}
}
