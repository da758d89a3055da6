// Command benchtable runs the entevents benchmarks (package internal/bench) in one
// process and prints one table per database, each row a ratio against its baseline
// measured in the same run (make bench):
//
//	go run ./internal/benchtable [-db sqlite,postgres] [-benchtime 1s] [-rounds 5]
//	    [-replay-events 100000] [-replay-rounds 3] [-heap-events 100000,1000000]
//	    [-writers 8] [-writers-time 3s]
//
// Each tracked/untracked pair is warmed up, then measured in rounds that alternate
// which side runs first; a row shows the median time per operation of each side
// and the median of the per-round ratios. Replay is measured against writing its
// final rows directly with CreateBulk, in alternating order too. PostgreSQL is
// reached at ENTEVENTS_PG_DSN (default postgres@127.0.0.1:5432); a database is
// created for the run and dropped after.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/internal/bench"
)

var (
	dbs          = flag.String("db", "sqlite,postgres", "databases to run on, comma-separated: sqlite, postgres")
	benchtime    = flag.Duration("benchtime", time.Second, "measured time per side of a write row, split over -rounds")
	rounds       = flag.Int("rounds", 5, "measured rounds per write row (alternating which side runs first)")
	replayEvents = flag.Int("replay-events", 100000, "events of the replay throughput row (0 skips the replay rows)")
	replayRounds = flag.Int("replay-rounds", 3, "measured rounds of the replay throughput row (after a warm-up)")
	heapEvents   = flag.String("heap-events", "100000,1000000", "the two log sizes of the replay peak-heap row (empty skips it)")
	writers      = flag.Int("writers", 8, "concurrent writers of the ordering-lock rows")
	writersTime  = flag.Duration("writers-time", 3*time.Second, "measured time per mode of the ordering-lock rows, split over -rounds (their throughput varies more than the write rows' times)")
)

func main() {
	testing.Init()
	flag.Parse()
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	ctx := context.Background()
	var dirs []string // SQLite files, removed at the end
	defer func() {
		for _, d := range dirs {
			_ = os.RemoveAll(d)
		}
	}()
	fmt.Fprintf(w, "entevents benchmarks: %s %s/%s, %d CPUs, GOMAXPROCS %d; %v per side per write row in %d rounds (median)\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), *benchtime, *rounds)
	for _, name := range strings.Split(*dbs, ",") {
		start := time.Now()
		var err error
		switch strings.TrimSpace(name) {
		case "sqlite":
			err = table(ctx, w, func() (*bench.DB, error) {
				dir, err := os.MkdirTemp("", "entevents-bench-")
				if err != nil {
					return nil, err
				}
				defer func() { dirs = append(dirs, dir) }()
				return bench.OpenSQLite(ctx, dir+"/bench.db")
			})
		case "postgres":
			err = table(ctx, w, func() (*bench.DB, error) { return bench.OpenPostgres(ctx, bench.PostgresDSN()) })
		default:
			err = fmt.Errorf("unknown database %q (want sqlite or postgres)", name)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "(%s in %v)\n", name, time.Since(start).Round(time.Second))
	}
	return nil
}

// row is a line of a table.
type row struct{ name, baseline, measured, ratio, target string }

// table runs every benchmark on fresh databases from open and prints the table.
func table(ctx context.Context, w io.Writer, open func() (*bench.DB, error)) error {
	db, err := open()
	if err != nil {
		return err
	}
	defer db.Close()
	rows := []row{{"benchmark", "baseline", "entevents", "ratio", "target"}}
	targets := map[string]float64{"Create": 1.35, "CreateBulk(100)": 1.25, "Update().Where 1,000 rows": 2}
	for _, wr := range bench.Writes {
		progress("%s: %s", db.Dialect, wr.Name)
		u, t, ratio, err := pair(wr.Run(db, false), wr.Run(db, true))
		if err != nil {
			return fmt.Errorf("%s: %w", wr.Name, err)
		}
		rows = append(rows, row{wr.Name + ", 1 per tx", "untracked " + dur(u), "tracked " + dur(t), times(ratio), target(ratio, targets[wr.Name], true)})
	}
	for _, n := range []int{1, 100} {
		progress("%s: floor, %d rows", db.Dialect, n)
		u, t, ratio, err := pair(bench.Floor(db, n, false), bench.Floor(db, n, true))
		if err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		rows = append(rows, row{fmt.Sprintf("(floor: raw SQL, %d user rows + their events, 1 tx)", n),
			"rows only " + dur(u), "rows + events " + dur(t), times(ratio), "the database's share of the ratio"})
	}
	if db.Dialect == dialect.Postgres {
		progress("%s: %d writers", db.Dialect, *writers)
		tps, ratios, err := writersRow(db)
		if err != nil {
			return fmt.Errorf("writers: %w", err)
		}
		rows = append(rows, row{fmt.Sprintf("%d writers, 1 create per tx", *writers),
			fmt.Sprintf("no lock %s tx/s", count(tps[bench.NoLock])), fmt.Sprintf("ordering lock %s tx/s", count(tps[bench.OrderingLock])),
			fmt.Sprintf("%.0f%%", ratios[bench.OrderingLock]*100), target(ratios[bench.OrderingLock], 0.70, false)})
		rows = append(rows, row{fmt.Sprintf("%d writers, 1 create per tx, EarlyUnlock", *writers),
			fmt.Sprintf("no lock %s tx/s", count(tps[bench.NoLock])), fmt.Sprintf("early unlock %s tx/s", count(tps[bench.EarlyUnlock])),
			fmt.Sprintf("%.0f%%", ratios[bench.EarlyUnlock]*100), target(ratios[bench.EarlyUnlock], 0.70, false)})
	} else {
		rows = append(rows, row{fmt.Sprintf("%d writers, 1 create per tx", *writers), "n/a", "n/a", "n/a",
			"SQLite runs one writer at a time: no lock"})
	}
	if *replayEvents > 0 {
		progress("%s: replay of %d events", db.Dialect, *replayEvents)
		rdb, err := open()
		if err != nil {
			return err
		}
		rs, err := replayRows(ctx, rdb)
		_ = rdb.Close()
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		rows = append(rows, rs...)
	}
	if sizes := strings.TrimSpace(*heapEvents); sizes != "" {
		progress("%s: replay peak heap at %s events", db.Dialect, sizes)
		hdb, err := open()
		if err != nil {
			return err
		}
		r, err := heapRow(ctx, hdb, sizes)
		_ = hdb.Close()
		if err != nil {
			return fmt.Errorf("replay heap: %w", err)
		}
		rows = append(rows, r...)
	}
	fmt.Fprintf(w, "\n### %s\n\n", db.Name)
	printRows(w, rows)
	return nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// result runs fn as a benchmark for d (or N iterations when n > 0).
func result(fn func(*testing.B), d time.Duration, n int) (testing.BenchmarkResult, error) {
	bt := d.String()
	if n > 0 {
		bt = strconv.Itoa(n) + "x"
	}
	if err := flag.Set("test.benchtime", bt); err != nil {
		return testing.BenchmarkResult{}, err
	}
	r := testing.Benchmark(fn)
	if r.N == 0 {
		return r, fmt.Errorf("benchmark failed (see above)")
	}
	return r, nil
}

// pair measures a baseline and a measured benchmark: a warm-up, then rounds that
// alternate which runs first. It returns the median ns/op of each and the median
// of the per-round ratios measured/baseline.
func pair(base, measured func(*testing.B)) (float64, float64, float64, error) {
	warm := min(*benchtime/5, 200*time.Millisecond)
	for _, fn := range []func(*testing.B){base, measured} {
		if _, err := result(fn, warm, 0); err != nil {
			return 0, 0, 0, err
		}
	}
	per := *benchtime / time.Duration(max(*rounds, 1))
	var bs, ms, ratios []float64
	for r := range max(*rounds, 1) {
		order := []func(*testing.B){base, measured}
		if r%2 == 1 {
			order = []func(*testing.B){measured, base}
		}
		var got [2]float64
		for i, fn := range order {
			res, err := result(fn, per, 0)
			if err != nil {
				return 0, 0, 0, err
			}
			got[i] = float64(res.T.Nanoseconds()) / float64(res.N)
		}
		if r%2 == 1 {
			got[0], got[1] = got[1], got[0]
		}
		bs, ms, ratios = append(bs, got[0]), append(ms, got[1]), append(ratios, got[1]/got[0])
	}
	return median(bs), median(ms), median(ratios), nil
}

// writersRow measures -writers concurrent writers with the ordering lock, with
// the lock released early and without it, in rounds that rotate which runs
// first; it returns the median throughputs (tx/s) and the median ratios to the
// throughput without the lock, by bench.Lock.
func writersRow(db *bench.DB) (tps, ratios map[bench.Lock]float64, err error) {
	modes := []bench.Lock{bench.OrderingLock, bench.EarlyUnlock, bench.NoLock}
	tput := func(lock bench.Lock, d time.Duration) (float64, error) {
		r, err := result(bench.Writers(db, *writers, lock), d, 0)
		return r.Extra["tx/s"], err
	}
	warm := min(*benchtime/5, 200*time.Millisecond)
	for _, m := range modes {
		if _, err := tput(m, warm); err != nil {
			return nil, nil, err
		}
	}
	got := map[bench.Lock][]float64{}
	rel := map[bench.Lock][]float64{}
	per := *writersTime / time.Duration(max(*rounds, 1))
	for r := range max(*rounds, 1) {
		round := map[bench.Lock]float64{}
		for i := range modes {
			m := modes[(r+i)%len(modes)]
			if round[m], err = tput(m, per); err != nil {
				return nil, nil, err
			}
			got[m] = append(got[m], round[m])
		}
		for _, m := range modes {
			rel[m] = append(rel[m], round[m]/round[bench.NoLock])
		}
	}
	tps, ratios = map[bench.Lock]float64{}, map[bench.Lock]float64{}
	for _, m := range modes {
		tps[m], ratios[m] = median(got[m]), median(rel[m])
	}
	return tps, ratios, nil
}

// replayRows seeds -replay-events events shaped like an application's and measures
// replaying them against writing their final rows directly.
func replayRows(ctx context.Context, db *bench.DB) ([]row, error) {
	n, err := bench.SeedHistory(ctx, db, *replayEvents)
	if err != nil {
		return nil, err
	}
	clear, err := bench.ClearCost(ctx, db)
	if err != nil {
		return nil, err
	}
	// The first replay (a warm-up, into empty tables as the measured ones) leaves
	// the rows Direct reads and rewrites.
	if err := bench.Empty(ctx, db); err != nil {
		return nil, err
	}
	if err := replay.Run(ctx, db.Client); err != nil {
		return nil, err
	}
	rep, dir := bench.Replay(db, n), bench.Direct(db)
	if _, err := result(dir, 0, 1); err != nil { // warm-up
		return nil, err
	}
	users, _ := db.Client.User.Query().Count(ctx)
	posts, _ := db.Client.Post.Query().Count(ctx)
	var rs, ds, ratios []float64
	for r := range max(*replayRounds, 1) {
		order := []func(*testing.B){rep, dir}
		if r%2 == 1 {
			order = []func(*testing.B){dir, rep}
		}
		var got [2]float64
		for i, fn := range order {
			res, err := result(fn, 0, 1)
			if err != nil {
				return nil, err
			}
			got[i] = float64(res.T.Nanoseconds())
		}
		if r%2 == 1 {
			got[0], got[1] = got[1], got[0]
		}
		rs, ds, ratios = append(rs, got[0]), append(ds, got[1]), append(ratios, got[0]/got[1])
	}
	rep1, dir1, ratio := median(rs), median(ds), median(ratios)
	total, stmts, err := bench.ReplayStatements(ctx, db)
	if err != nil {
		return nil, err
	}
	rate := float64(n) / (rep1 / 1e9)
	rateTarget := "-"
	if db.Dialect == dialect.Postgres {
		rateTarget = "≥ 50,000 ev/s met"
		if rate < 50000 {
			rateTarget = "≥ 50,000 ev/s MISSED"
		}
	}
	return []row{
		{fmt.Sprintf("Replay %s events into empty tables", count(float64(n))), "-", fmt.Sprintf("%s ev/s (%s)", count(rate), dur(rep1)), "-", rateTarget},
		{fmt.Sprintf("Replay vs CreateBulk of its final rows (%s users, %s posts)", count(float64(users)), count(float64(posts))),
			"direct " + dur(dir1), "replay " + dur(rep1), times(ratio), target(ratio, 3, true)},
		{"(replay: time waiting for its SQL statements, one more run)", "-",
			fmt.Sprintf("%s of %s", dur(float64(stmts.Nanoseconds())), dur(float64(total.Nanoseconds()))),
			fmt.Sprintf("%.0f%%", 100*stmts.Seconds()/total.Seconds()), "the database's share"},
		{"(replay's clear of those rows, not in the rows above)", "-", dur(float64(clear.Nanoseconds())), "-", "-"},
	}, nil
}

// heapRow measures the peak heap of replaying logs of the two sizes.
func heapRow(ctx context.Context, db *bench.DB, sizes string) ([]row, error) {
	parts := strings.Split(sizes, ",")
	if len(parts) != 2 {
		return nil, fmt.Errorf("-heap-events wants two sizes, got %q", sizes)
	}
	var ns [2]int
	var peaks [2]float64
	var took [2]time.Duration
	seeded := 0
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= seeded {
			return nil, fmt.Errorf("-heap-events: bad size %q", p)
		}
		if err := bench.SeedCreates(ctx, db, n-seeded); err != nil {
			return nil, err
		}
		seeded, ns[i] = n, n
		// Into empty tables, as the throughput row (the previous replay's rows
		// would be deleted and re-inserted in one transaction).
		if err := bench.Empty(ctx, db); err != nil {
			return nil, err
		}
		start := time.Now()
		peak, err := bench.PeakHeap(func() error { return replay.Run(ctx, db.Client) })
		if err != nil {
			return nil, err
		}
		peaks[i], took[i] = float64(peak), time.Since(start)
	}
	ratio := peaks[1] / peaks[0]
	return []row{
		{
			fmt.Sprintf("Replay peak heap, %s vs %s events (tag creates)", count(float64(ns[1])), count(float64(ns[0]))),
			fmt.Sprintf("%s events %.1f MiB", count(float64(ns[0])), peaks[0]/(1<<20)),
			fmt.Sprintf("%s events %.1f MiB", count(float64(ns[1])), peaks[1]/(1<<20)),
			times(ratio), target(ratio, 1.5, true),
		},
		{
			fmt.Sprintf("(replay of those %s tag creates, one field each: the simplest events)", count(float64(ns[1]))), "-",
			fmt.Sprintf("%s ev/s (%s)", count(float64(ns[1])/took[1].Seconds()), dur(float64(took[1].Nanoseconds()))), "-", "-",
		},
	}, nil
}

func printRows(w io.Writer, rows []row) {
	if len(rows) == 0 {
		return
	}
	var width [5]int
	cells := func(r row) [5]string { return [5]string{r.name, r.baseline, r.measured, r.ratio, r.target} }
	for _, r := range rows {
		for i, c := range cells(r) {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(c [5]string) {
		fmt.Fprint(w, "|")
		for i, s := range c {
			fmt.Fprintf(w, " %s%s |", s, strings.Repeat(" ", width[i]-len([]rune(s))))
		}
		fmt.Fprintln(w)
	}
	for i, r := range rows {
		line(cells(r))
		if i == 0 && r.name == "benchmark" {
			var sep [5]string
			for j := range sep {
				sep[j] = strings.Repeat("-", width[j])
			}
			line(sep)
		}
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// target says whether v meets a target: at most t× when atMost, else at least
// t as a percentage.
func target(v, t float64, atMost bool) string {
	if t == 0 {
		return "-"
	}
	want, ok := "≤ "+strconv.FormatFloat(t, 'f', -1, 64)+"×", v <= t
	if !atMost {
		want, ok = fmt.Sprintf("≥ %.0f%%", t*100), v >= t
	}
	if ok {
		return want + " met"
	}
	return want + " MISSED"
}

func times(r float64) string { return fmt.Sprintf("%.2f×", r) }

// dur formats nanoseconds.
func dur(ns float64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
}

// count formats a number with thousands separators.
func count(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
