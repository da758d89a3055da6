package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/post"
	"github.com/entevents/entevents/example/ent/user"
)

// SeedHistory records about n events through the tracked client, a mix shaped like
// an application's log: 30% user creates, 20% post creates (each with an author
// and two tags), 5% UpdateOne of users (each with its own values), 20%
// Update().Where over 1,000 users, 15% Update().Where over 500 posts, 10%
// Delete().Where over 500 posts, and 50 tag creates. The writes are grouped in
// large transactions so that seeding is quick. It returns the number of events in
// the log.
func SeedHistory(ctx context.Context, db *DB, n int) (int, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := db.Client
	var tagIDs, userIDs, postIDs []int
	at := func(pct int) int { return n * pct / 100 }
	err := inTx(ctx, c, func(tx *ent.Tx) error {
		tags := make([]*ent.TagCreate, 50)
		for i := range tags {
			tags[i] = tx.Tag.Create().SetName(fmt.Sprintf("tag-%d", i))
		}
		ts, err := tx.Tag.CreateBulk(tags...).Save(ctx)
		for _, t := range ts {
			tagIDs = append(tagIDs, t.ID)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	// chunks runs fn over [0, total) in chunks of size, one transaction each.
	chunks := func(total, size int, fn func(tx *ent.Tx, from, to int) error) error {
		for from := 0; from < total; from += size {
			if err := inTx(ctx, c, func(tx *ent.Tx) error { return fn(tx, from, min(from+size, total)) }); err != nil {
				return err
			}
		}
		return nil
	}
	err = chunks(at(30), 1000, func(tx *ent.Tx, from, to int) error {
		bs := make([]*ent.UserCreate, 0, to-from)
		for i := from; i < to; i++ {
			bs = append(bs, newUser(tx.Client(), fmt.Sprintf("user-%d", i)).SetAge(18+rng.IntN(60)))
		}
		us, err := tx.User.CreateBulk(bs...).Save(ctx)
		for _, u := range us {
			userIDs = append(userIDs, u.ID)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	err = chunks(at(20), 1000, func(tx *ent.Tx, from, to int) error {
		bs := make([]*ent.PostCreate, 0, to-from)
		for i := from; i < to; i++ {
			bs = append(bs, tx.Post.Create().SetTitle(fmt.Sprintf("post %d", i)).SetBody("Lorem ipsum dolor sit amet.").
				SetAuthorID(userIDs[rng.IntN(len(userIDs))]).SetAttributes(map[string]any{"lang": "en", "words": 5}).
				AddTagIDs(tagIDs[rng.IntN(25)], tagIDs[25+rng.IntN(25)]))
		}
		ps, err := tx.Post.CreateBulk(bs...).Save(ctx)
		for _, p := range ps {
			postIDs = append(postIDs, p.ID)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	err = chunks(at(5), 1000, func(tx *ent.Tx, from, to int) error {
		for i := from; i < to; i++ {
			id := userIDs[rng.IntN(len(userIDs))]
			if err := tx.User.UpdateOneID(id).SetName(fmt.Sprintf("renamed-%d", i)).SetScore(rng.Float64()).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	err = chunks(at(20), 1000, func(tx *ent.Tx, from, to int) error {
		start := rng.IntN(len(userIDs) - (to - from) + 1)
		return tx.User.Update().Where(user.IDIn(userIDs[start : start+to-from]...)).SetAge(rng.IntN(90)).AddKarma(1).Exec(ctx)
	})
	if err != nil {
		return 0, err
	}
	// Deletes take the last posts, updates the others.
	deleted := at(10)
	live := postIDs[:len(postIDs)-deleted]
	err = chunks(at(15), 500, func(tx *ent.Tx, from, to int) error {
		start := rng.IntN(len(live) - (to - from) + 1)
		return tx.Post.Update().Where(post.IDIn(live[start : start+to-from]...)).SetStatus(post.StatusPublished).AddViews(1).Exec(ctx)
	})
	if err != nil {
		return 0, err
	}
	gone := postIDs[len(postIDs)-deleted:]
	err = chunks(deleted, 500, func(tx *ent.Tx, from, to int) error {
		_, err := tx.Post.Delete().Where(post.IDIn(gone[from:to]...)).Exec(ctx)
		return err
	})
	if err != nil {
		return 0, err
	}
	if err := settle(ctx, db); err != nil {
		return 0, err
	}
	return c.Event.Query().Count(ctx)
}

// Replay replays the whole log of db per operation, into empty tables (they are
// emptied with the timer stopped: the clear is the same work for any way of
// loading the rows, and is measured on its own by ClearCost), and reports events/s.
func Replay(db *DB, events int) func(*testing.B) {
	return func(b *testing.B) {
		ctx := context.Background()
		for range b.N {
			clearTables(b, db)
			if err := replay.Run(ctx, db.Client); err != nil {
				fatal(b, err)
			}
		}
		b.ReportMetric(float64(events*b.N)/b.Elapsed().Seconds(), "events/s")
	}
}

// clearTables empties the tracked tables (Empty) with the timer stopped.
func clearTables(b *testing.B, db *DB) {
	b.StopTimer()
	defer b.StartTimer()
	if err := Empty(context.Background(), db); err != nil {
		fatal(b, err)
	}
}

// Empty empties the tracked tables: TRUNCATE on PostgreSQL (replay.ClearTracked's
// DELETEs are slow there, see ClearCost), replay.ClearTracked on SQLite.
func Empty(ctx context.Context, db *DB) error {
	ctx = Untracked(ctx)
	if db.Dialect == dialect.Postgres {
		_, err := db.SQL.ExecContext(ctx, "TRUNCATE "+strings.Join(replay.ClearOrder(db.Client.Entevents()), ", "))
		return err
	}
	return inTx(ctx, db.Client, func(tx *ent.Tx) error { return replay.ClearTracked(ctx, tx.Client()) })
}

// Direct writes the rows a replay of db's log produces, directly: per operation,
// into empty tables (emptied with the timer stopped, as Replay's), in one
// transaction, CreateBulk of every tag, user and post (with its tag edges) in
// chunks of 1,000, with their values. It is the baseline of the replay row. The
// example's int ids cannot be set through the builders: rows get new ids, in the
// same order, and the post author and tag references are mapped to them.
func Direct(db *DB) func(*testing.B) {
	return func(b *testing.B) {
		ctx := Untracked(context.Background())
		tags, err := db.Client.Tag.Query().Order(ent.Asc("id")).All(ctx)
		if err != nil {
			fatal(b, err)
		}
		users, err := db.Client.User.Query().Order(ent.Asc("id")).All(ctx)
		if err != nil {
			fatal(b, err)
		}
		posts, err := db.Client.Post.Query().Order(ent.Asc("id")).WithTags().All(ctx)
		if err != nil {
			fatal(b, err)
		}
		b.ResetTimer()
		for range b.N {
			tagID := make(map[int]int, len(tags))
			userID := make(map[int]int, len(users))
			clearTables(b, db)
			err := inTx(ctx, db.Client, func(tx *ent.Tx) error {
				for from := 0; from < len(tags); from += 1000 {
					chunk := tags[from:min(from+1000, len(tags))]
					bs := make([]*ent.TagCreate, len(chunk))
					for i, t := range chunk {
						bs[i] = tx.Tag.Create().SetName(t.Name)
					}
					created, err := tx.Tag.CreateBulk(bs...).Save(ctx)
					if err != nil {
						return err
					}
					for i, t := range created {
						tagID[chunk[i].ID] = t.ID
					}
				}
				for from := 0; from < len(users); from += 1000 {
					chunk := users[from:min(from+1000, len(users))]
					bs := make([]*ent.UserCreate, len(chunk))
					for i, u := range chunk {
						bs[i] = tx.User.Create().SetCreateTime(u.CreateTime).SetUpdateTime(u.UpdateTime).
							SetName(u.Name).SetEmail(u.Email).SetPasswordHash(u.PasswordHash).SetRole(u.Role).
							SetNillableAge(u.Age).SetKarma(u.Karma).SetQuota(u.Quota).SetScore(u.Score).
							SetAvatar(u.Avatar).SetSettings(u.Settings).SetNillableLastSeenAt(u.LastSeenAt)
					}
					created, err := tx.User.CreateBulk(bs...).Save(ctx)
					if err != nil {
						return err
					}
					for i, u := range created {
						userID[chunk[i].ID] = u.ID
					}
				}
				for from := 0; from < len(posts); from += 1000 {
					chunk := posts[from:min(from+1000, len(posts))]
					bs := make([]*ent.PostCreate, len(chunk))
					for i, p := range chunk {
						c := tx.Post.Create().SetCreateTime(p.CreateTime).SetUpdateTime(p.UpdateTime).
							SetTitle(p.Title).SetBody(p.Body).SetStatus(p.Status).SetViews(p.Views).
							SetNillablePublishedAt(p.PublishedAt).SetAttributes(p.Attributes).SetAuthorID(userID[p.AuthorID])
						for _, t := range p.Edges.Tags {
							c.AddTagIDs(tagID[t.ID])
						}
						bs[i] = c
					}
					if err := tx.Post.CreateBulk(bs...).Exec(ctx); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				fatal(b, err)
			}
		}
		b.ReportMetric(float64(len(tags)+len(users)+len(posts))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	}
}

// SeedCreates appends n tag-create events to db's log directly in SQL (no rows are
// written: the log is replayed to produce them), numbered from the current count.
// The heap row uses it: the log grows to 10x its size quickly, every event has the
// same shape so that only the length of the log changes, and tags (one field) keep
// a replay of a million events short; the throughput rows use SeedHistory's mix.
func SeedCreates(ctx context.Context, db *DB, n int) error {
	var from int
	if err := db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&from); err != nil {
		return err
	}
	var query string
	switch db.Dialect {
	case dialect.Postgres:
		query = `INSERT INTO events (record_id, entity, action, action_type, version, data, changed_fields, metadata, occurred_at)
SELECT i::text, 'Tag', 'create', 'create', 1, jsonb_build_object('fields', jsonb_build_object('name', 'tag-' || i)),
  '["name"]', '{}', now()
FROM generate_series($1::bigint, $2::bigint) AS i`
	default:
		query = `WITH RECURSIVE s(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM s WHERE i < ?)
INSERT INTO events (record_id, entity, action, action_type, version, data, changed_fields, metadata, occurred_at)
SELECT CAST(i AS TEXT), 'Tag', 'create', 'create', 1, json_object('fields', json_object('name', 'tag-' || i)),
  '["name"]', '{}', ?
FROM s`
	}
	const step = 200000
	for lo := from + 1; lo <= from+n; lo += step {
		hi := min(lo+step-1, from+n)
		args := []any{lo, hi}
		if db.Dialect != dialect.Postgres {
			args = append(args, time.Now().UTC())
		}
		if _, err := db.SQL.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("seed events %d..%d: %w", lo, hi, err)
		}
	}
	return settle(ctx, db)
}

// settle vacuums and analyzes the event log after seeding it, as autovacuum
// does with a log that grew over time: the first replay would otherwise pay for
// setting the hint bits of every freshly inserted row.
func settle(ctx context.Context, db *DB) error {
	query := "ANALYZE"
	if db.Dialect == dialect.Postgres {
		query = "VACUUM (ANALYZE) events"
	}
	_, err := db.SQL.ExecContext(ctx, query)
	return err
}

// PeakHeap runs fn and returns the peak, above the heap before it, of the bytes of
// heap objects sampled every millisecond while it runs (live objects and garbage
// not yet collected, as GOGC lets it grow).
func PeakHeap(fn func() error) (uint64, error) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	var (
		peak atomic.Uint64
		stop = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	err := fn()
	close(stop)
	wg.Wait()
	if p := peak.Load(); p > base {
		return p - base, err
	}
	return 0, err
}

// ClearCost times replay.ClearTracked on db's current rows, in a transaction that
// is then rolled back: the part of a replay that empties the tables, which Replay
// and Direct leave out of their timings.
func ClearCost(ctx context.Context, db *DB) (time.Duration, error) {
	ctx = Untracked(ctx)
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	start := time.Now()
	err = replay.ClearTracked(ctx, tx.Client())
	return time.Since(start), err
}
