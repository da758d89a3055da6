package hook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/example/ent/schema"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

// TestValueRoundTrip: values stored in the data column of either database decode
// back to the Go values the mutation set.
func TestValueRoundTrip(t *testing.T) {
	t.Parallel()
	zone := time.FixedZone("IST", 5*3600+30*60)
	cases := []struct {
		name string
		set  func(*ent.UserCreate)
		want map[string]any // besides name and email
	}{
		{"Max", func(b *ent.UserCreate) {
			b.SetKarma(math.MaxInt64).SetQuota(math.MaxInt64).SetScore(math.MaxFloat64).SetAge(math.MaxInt32).
				SetLastSeenAt(time.Date(2024, 2, 29, 23, 59, 59, 123456789, zone)).
				SetAvatar([]byte{0, 1, 0xfe, 0xff}).SetRole(user.RoleAdmin).
				SetSettings(schema.Settings{Theme: "dark", Notifications: true, Languages: []string{"en", "ünï"}})
		}, map[string]any{
			"karma": int64(math.MaxInt64), "quota": uint64(math.MaxInt64), "score": math.MaxFloat64, "age": math.MaxInt32,
			"last_seen_at": time.Date(2024, 2, 29, 23, 59, 59, 123456789, zone),
			"avatar":       []byte{0, 1, 0xfe, 0xff}, "role": user.RoleAdmin,
			"settings": schema.Settings{Theme: "dark", Notifications: true, Languages: []string{"en", "ünï"}},
		}},
		{"Min", func(b *ent.UserCreate) {
			b.SetKarma(math.MinInt64).SetScore(math.SmallestNonzeroFloat64).SetAge(math.MinInt32).
				SetLastSeenAt(time.Date(1901, 12, 13, 20, 45, 52, 1, time.FixedZone("", -(9*3600+30*60))))
		}, map[string]any{
			"karma": int64(math.MinInt64), "quota": uint64(0), "score": math.SmallestNonzeroFloat64, "age": math.MinInt32,
			"last_seen_at": time.Date(1901, 12, 13, 20, 45, 52, 1, time.FixedZone("", -(9*3600+30*60))),
		}},
		{"ZeroValues", func(b *ent.UserCreate) {
			// Set to the zero value, not left unset: nillable 0 is not NULL, and
			// empty bytes are not nil bytes.
			b.SetAge(0).SetAvatar([]byte{}).SetSettings(schema.Settings{}).SetScore(-1.5e-300)
		}, map[string]any{
			"karma": int64(0), "quota": uint64(0), "score": -1.5e-300, "age": 0,
			"avatar": []byte{}, "settings": schema.Settings{},
		}},
		{"Unset", func(b *ent.UserCreate) {
			b.SetNillableAge(nil).SetNillableLastSeenAt(nil)
		}, map[string]any{
			"karma": int64(0), "quota": uint64(0), "score": 0.0,
		}},
		{"Text", func(b *ent.UserCreate) {
			b.SetPasswordHash("never stored").SetScore(0.1)
		}, map[string]any{
			"karma": int64(0), "quota": uint64(0), "score": 0.1,
		}},
	}
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				b := db.Client.User.Create().SetName(`"quoted" \ 名前 <tag> & ` + "\t\n").SetEmail(tc.name + "@x")
				tc.set(b)
				u := b.SaveX(ctx)
				evs := eventsOf(t, db.Client, "User")
				ev := evs[len(evs)-1]
				requireEvent(t, ev, "User", u.ID, "create", event.ActionTypeCreate, 2)
				set := decode(t, ev).Set
				want := map[string]any{
					"name": `"quoted" \ 名前 <tag> & ` + "\t\n", "email": tc.name + "@x", "role": user.RoleMember,
					"create_time": u.CreateTime, "update_time": u.UpdateTime,
				}
				for k, v := range tc.want {
					want[k] = v
				}
				requireFields(t, want, set)
				if av, ok := tc.want["avatar"]; ok {
					require.NotNil(t, set["avatar"], "empty bytes stay empty, not nil")
					require.Len(t, set["avatar"], len(av.([]byte)))
				}
				require.NotContains(t, string(ev.Data), "never stored", "sensitive values are left out")
			})
		}
	})
}

// TestJSONFieldNumbers: numbers in JSON fields beyond 2^53 keep their digits.
func TestJSONFieldNumbers(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		attrs := map[string]any{
			"big": int64(1<<62 + 1), "neg": int64(math.MinInt64), "f": 0.5, "s": "x",
			"nested": map[string]any{"list": []any{uint64(math.MaxUint64), nil, true}},
		}
		p := db.Client.Post.Create().SetTitle("t").SetAttributes(attrs).SaveX(ctx)
		evs := events(t, ctx, db.Client)
		require.Len(t, evs, 1)
		v := decode(t, evs[0]).Set["attributes"]
		got, err := json.Marshal(v)
		require.NoError(t, err)
		want, err := json.Marshal(attrs)
		require.NoError(t, err)
		require.JSONEq(t, string(want), string(got))
		m := v.(map[string]any)
		require.Equal(t, json.Number("4611686018427387905"), m["big"])
		require.Equal(t, json.Number("-9223372036854775808"), m["neg"])
		require.Equal(t, json.Number("18446744073709551615"), m["nested"].(map[string]any)["list"].([]any)[0])
		require.NotZero(t, p.ID)
	})
}

// TestConcurrentBulkCreates: bulk creates running at once on one context (here
// context.Background, shared by every goroutine) each get their own transaction,
// and their events come out in row order.
func TestConcurrentBulkCreates(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		const workers, rows, rounds = 6, 4, 5
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds)
		ids := make([][][]int, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					tags, err := db.Client.Tag.MapCreateBulk(make([]struct{}, rows), func(b *ent.TagCreate, i int) {
						b.SetName(fmt.Sprintf("w%d-r%d-%d", w, r, i))
					}).Save(ctx)
					if err != nil {
						errs <- err
						return
					}
					batch := make([]int, len(tags))
					for i, tg := range tags {
						batch[i] = tg.ID
					}
					ids[w] = append(ids[w], batch)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		evs := events(t, ctx, db.Client)
		require.Len(t, evs, workers*rows*rounds)
		pos := make(map[string]int, len(evs))
		for i, ev := range evs {
			pos[ev.RecordID] = i
		}
		for w := range workers {
			for _, batch := range ids[w] {
				first := pos[fmt.Sprint(batch[0])]
				for i, id := range batch {
					// One transaction per bulk: its events are written together, in row order.
					require.Equal(t, first+i, pos[fmt.Sprint(id)], "worker %d batch %v", w, batch)
					name := decode(t, evs[first+i]).Set["name"].(string)
					require.Equal(t, fmt.Sprintf("-%d", i), name[len(name)-2:])
				}
			}
		}
	})
}

// TestUnrepresentableValues: values JSON cannot carry exactly fail the mutation
// with an error naming the entity, action and field; nothing is written.
func TestUnrepresentableValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		field string
		set   func(*ent.UserCreate)
		// The database that refuses the row itself, before entevents sees it:
		// SQLite stores NaN as NULL (score is NOT NULL), PostgreSQL rejects
		// invalid UTF-8.
		refusedBy string
	}{
		{"NaN", "score", func(b *ent.UserCreate) { b.SetScore(math.NaN()) }, dialect.SQLite},
		{"InvalidUTF8", "name", func(b *ent.UserCreate) { b.SetName("Jos\xe9") }, dialect.Postgres},
	}
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := entevents.WithAction(context.Background(), "register")
				b := db.Client.User.Create().SetName("n").SetEmail("e@x")
				tc.set(b)
				err := b.Exec(ctx)
				require.Error(t, err)
				var me *entevents.MutationError
				if db.Dialect != tc.refusedBy {
					require.ErrorAs(t, err, &me)
					require.Equal(t, "User", me.Entity)
					require.Equal(t, "register", me.Action)
					require.Equal(t, tc.field, me.Field)
					require.ErrorIs(t, err, entevents.ErrEncode)
				}
				require.Zero(t, count(t, db, "users"))
				require.Zero(t, count(t, db, "events"))
			})
		}
	})
}

// TestNegativeZero documents a limitation: PostgreSQL stores the data column as
// jsonb, whose numbers have no negative zero, so -0.0 comes back as 0 there.
func TestNegativeZero(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		if db.Dialect == dialect.Postgres {
			t.Skip("known limitation: jsonb turns -0 into 0 (the data column would need type json to keep it)")
		}
		ctx := context.Background()
		db.Client.User.Create().SetName("z").SetEmail("z@x").SetScore(math.Copysign(0, -1)).ExecX(ctx)
		score := decode(t, events(t, ctx, db.Client)[0]).Set["score"].(float64)
		require.True(t, math.Signbit(score))
	})
}
