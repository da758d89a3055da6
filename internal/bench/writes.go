package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/schema"
	"github.com/entevents/entevents/example/ent/user"
)

// Write is a write benchmark run tracked and untracked.
type Write struct {
	Name string
	// Rows is the number of rows one operation writes.
	Rows int
	// Run returns the benchmark; tracked false bypasses capture.
	Run func(db *DB, tracked bool) func(*testing.B)
}

// Writes are the tracked/untracked pairs of the table: one operation, one
// transaction.
var Writes = []Write{
	{Name: "Create", Rows: 1, Run: Create},
	{Name: "UpdateOne", Rows: 1, Run: UpdateOne},
	{Name: "DeleteOne", Rows: 1, Run: DeleteOne},
	{Name: "CreateBulk(100)", Rows: 100, Run: CreateBulk(100)},
	{Name: "Update().Where 1,000 rows", Rows: 1000, Run: UpdateWhere(1000)},
	{Name: "Delete().Where 1,000 rows", Rows: 1000, Run: DeleteWhere(1000)},
}

func ctxOf(tracked bool) context.Context {
	if tracked {
		return context.Background()
	}
	return Untracked(context.Background())
}

// newUser returns a create of a user with the fields a sign-up sets.
func newUser(c *ent.Client, name string) *ent.UserCreate {
	return c.User.Create().SetName(name).SetEmail(name + "@example.com").SetAge(33).SetKarma(10).
		SetSettings(schema.Settings{Theme: "dark", Notifications: true, Languages: []string{"en", "fr"}})
}

// inTx runs fn in a transaction of db.Client and commits it.
func inTx(ctx context.Context, c *ent.Client, fn func(tx *ent.Tx) error) error {
	tx, err := c.Tx(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// seedUsers creates n users named prefix-i, untracked, and returns their ids.
func seedUsers(ctx context.Context, db *DB, prefix string, n int) ([]int, error) {
	ctx = Untracked(ctx)
	ids := make([]int, 0, n)
	err := inTx(ctx, db.Client, func(tx *ent.Tx) error {
		for start := 0; start < n; start += 1000 {
			bs := make([]*ent.UserCreate, 0, 1000)
			for i := start; i < min(start+1000, n); i++ {
				bs = append(bs, newUser(tx.Client(), fmt.Sprintf("%s-%d", prefix, i)).SetName(prefix))
			}
			us, err := tx.User.CreateBulk(bs...).Save(ctx)
			if err != nil {
				return err
			}
			for _, u := range us {
				ids = append(ids, u.ID)
			}
		}
		return nil
	})
	return ids, err
}

// Create creates one user per transaction.
func Create(db *DB, tracked bool) func(*testing.B) {
	return func(b *testing.B) {
		ctx := ctxOf(tracked)
		for range b.N {
			err := inTx(ctx, db.Client, func(tx *ent.Tx) error {
				return newUser(tx.Client(), db.name("c")).Exec(ctx)
			})
			if err != nil {
				fatal(b, err)
			}
		}
	}
}

// UpdateOne updates one user (two fields, and update_time) per transaction, over
// a pool of 1,000 users.
func UpdateOne(db *DB, tracked bool) func(*testing.B) {
	return func(b *testing.B) {
		ctx := ctxOf(tracked)
		ids, err := seedUsers(ctx, db, db.name("uo"), 1000)
		if err != nil {
			fatal(b, err)
		}
		b.ResetTimer()
		for i := range b.N {
			err := inTx(ctx, db.Client, func(tx *ent.Tx) error {
				return tx.User.UpdateOneID(ids[i%len(ids)]).SetAge(i % 100).AddKarma(1).Exec(ctx)
			})
			if err != nil {
				fatal(b, err)
			}
		}
	}
}

// DeleteOne deletes one user per transaction.
func DeleteOne(db *DB, tracked bool) func(*testing.B) {
	return func(b *testing.B) {
		ctx := ctxOf(tracked)
		ids, err := seedUsers(ctx, db, db.name("do"), b.N)
		if err != nil {
			fatal(b, err)
		}
		b.ResetTimer()
		for i := range b.N {
			err := inTx(ctx, db.Client, func(tx *ent.Tx) error {
				return tx.User.DeleteOneID(ids[i]).Exec(ctx)
			})
			if err != nil {
				fatal(b, err)
			}
		}
	}
}

// CreateBulk creates n users with one CreateBulk per transaction.
func CreateBulk(n int) func(db *DB, tracked bool) func(*testing.B) {
	return func(db *DB, tracked bool) func(*testing.B) {
		return func(b *testing.B) {
			ctx := ctxOf(tracked)
			for range b.N {
				prefix := db.name("cb")
				err := inTx(ctx, db.Client, func(tx *ent.Tx) error {
					bs := make([]*ent.UserCreate, n)
					for i := range bs {
						bs[i] = newUser(tx.Client(), fmt.Sprintf("%s-%d", prefix, i))
					}
					return tx.User.CreateBulk(bs...).Exec(ctx)
				})
				if err != nil {
					fatal(b, err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
		}
	}
}

// UpdateWhere updates the same n users with one Update().Where per transaction.
func UpdateWhere(n int) func(db *DB, tracked bool) func(*testing.B) {
	return func(db *DB, tracked bool) func(*testing.B) {
		return func(b *testing.B) {
			ctx := ctxOf(tracked)
			name := db.name("uw")
			if _, err := seedUsers(ctx, db, name, n); err != nil {
				fatal(b, err)
			}
			b.ResetTimer()
			for i := range b.N {
				err := inTx(ctx, db.Client, func(tx *ent.Tx) error {
					got, err := tx.User.Update().Where(user.NameEQ(name)).SetAge(i % 100).AddKarma(1).Save(ctx)
					if err == nil && got != n {
						err = fmt.Errorf("updated %d rows, want %d", got, n)
					}
					return err
				})
				if err != nil {
					fatal(b, err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
		}
	}
}

// DeleteWhere deletes n users with one Delete().Where per transaction; the rows
// are created, untracked, with the timer stopped.
func DeleteWhere(n int) func(db *DB, tracked bool) func(*testing.B) {
	return func(db *DB, tracked bool) func(*testing.B) {
		return func(b *testing.B) {
			ctx := ctxOf(tracked)
			for range b.N {
				b.StopTimer()
				name := db.name("dw")
				if _, err := seedUsers(ctx, db, name, n); err != nil {
					fatal(b, err)
				}
				b.StartTimer()
				err := inTx(ctx, db.Client, func(tx *ent.Tx) error {
					got, err := tx.User.Delete().Where(user.NameEQ(name)).Exec(ctx)
					if err == nil && got != n {
						err = fmt.Errorf("deleted %d rows, want %d", got, n)
					}
					return err
				})
				if err != nil {
					fatal(b, err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
		}
	}
}

// Lock is how the transactions of a Writers benchmark order their events.
type Lock int

const (
	// NoLock turns the ordering lock off (DriverOptions.DisableLock).
	NoLock Lock = iota
	// OrderingLock is the default: the lock is held to the end of COMMIT.
	OrderingLock
	// EarlyUnlock releases the lock before the commit is flushed
	// (DriverOptions.EarlyUnlock).
	EarlyUnlock
)

// Writers runs writers concurrent goroutines, each creating one tracked user per
// transaction on its own connection, through the client of db that orders events
// as lock says. It reports the throughput in tx/s.
func Writers(db *DB, writers int, lock Lock) func(*testing.B) {
	return func(b *testing.B) {
		c := db.Client
		switch lock {
		case NoLock:
			c = db.NoLock
		case EarlyUnlock:
			c = db.Early
		}
		ctx := context.Background()
		var (
			next atomic.Int64
			wg   sync.WaitGroup
			errs = make(chan error, writers)
		)
		start := time.Now()
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(b.N) {
					err := inTx(ctx, c, func(tx *ent.Tx) error {
						return newUser(tx.Client(), db.name("w")).Exec(ctx)
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			fatal(b, err)
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tx/s")
	}
}
