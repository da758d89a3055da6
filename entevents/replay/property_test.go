package replay_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/sqlgraph"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/comment"
	"github.com/entevents/entevents/example/ent/post"
	"github.com/entevents/entevents/example/ent/profile"
	"github.com/entevents/entevents/example/ent/schema"
	"github.com/entevents/entevents/example/ent/tag"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
	"github.com/entevents/entevents/internal/testdb"
)

var (
	seedsFlag = flag.Int("replay.seeds", 20, "random histories per dialect in TestRunProperty")
	opsFlag   = flag.Int("replay.ops", 300, "operations per random history in TestRunProperty")
	seedFlag  = flag.Uint64("replay.seed", 0, "run TestRunProperty with this seed only (to reproduce a failure)")
)

// TestRunProperty is the replay property: for a random history of mutations
// through every write path of ent, replaying the log reproduces the tables
// exactly, and replaying up to an event in the middle reproduces the tables as
// they were right after it.
func TestRunProperty(t *testing.T) {
	t.Parallel()
	seeds := make([]uint64, 0, *seedsFlag)
	if *seedFlag != 0 {
		seeds = append(seeds, *seedFlag)
	} else {
		for i := range *seedsFlag {
			seeds = append(seeds, uint64(i+1))
		}
	}
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			pool := newDBPool(t, d, len(seeds))
			// The replays' UPDATE ... FROM (VALUES ...) statements, and the
			// batches rolled back to be applied event by event: a shape batch
			// that always failed would leave the tables right, through the
			// fallback, and show here.
			var shapes, fallbacks atomic.Int64
			t.Cleanup(func() {
				t.Logf("%d shape statements, %d batches applied event by event", shapes.Load(), fallbacks.Load())
				if *seedFlag == 0 {
					require.Positive(t, shapes.Load(), "the histories have runs of updates of one shape")
				}
				require.Less(t, fallbacks.Load(), shapes.Load()/10+1, "shape batches fall back to event by event")
			})
			for _, seed := range seeds {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					t.Parallel()
					b := setup(t, pool.get(t))
					h := &history{t: t, ctx: b.ctx, main: b.client, rnd: rand.New(rand.NewPCG(seed, seed))}
					mid := *opsFlag / 2
					var (
						midDump []string
						midID   int64
					)
					for i := 0; i < *opsFlag; i++ {
						if i == mid {
							midDump, midID = b.dump(t), b.lastEventID(t)
						}
						i += h.step() - 1
					}
					final, events := b.dump(t), b.eventCount(t)
					require.Greater(t, events, *opsFlag/2, "too few operations succeeded to test anything")
					pageSize := replay.PageSize([]int{7, 64, 1000}[seed%3])

					log := &statementLog{}
					c := watched(b.db, log)
					require.NoError(t, replay.Run(b.ctx, c, replay.UntilEventID(midID), pageSize))
					requireSameDump(t, midDump, b.dump(t), "replay to event ", midID)
					require.NoError(t, replay.Run(b.ctx, c, pageSize))
					requireSameDump(t, final, b.dump(t), "full replay")
					for _, q := range log.take() {
						switch {
						case strings.Contains(q, " FROM (VALUES "):
							shapes.Add(1)
						case strings.HasPrefix(q, "ROLLBACK TO SAVEPOINT"):
							fallbacks.Add(1)
						}
					}
					require.Equal(t, events, b.eventCount(t), "replay recorded events")
					// The id sequences are past the replayed ids.
					require.NoError(t, b.client.User.Create().SetName("next").SetEmail("next@x").Exec(b.ctx))
					require.NoError(t, b.client.Post.Create().SetTitle("next").Exec(b.ctx))
					require.NoError(t, b.client.Tag.Create().SetName("next").Exec(b.ctx))
					require.NoError(t, b.client.Profile.Create().Exec(b.ctx))
				})
			}
		})
	}
}

// dbPool lends the seed subtests of one dialect the databases it opened
// beforehand, emptied between uses: cloning a PostgreSQL database for every
// seed would take longer than the seed.
type dbPool struct {
	dialect string
	free    chan *fixture.DB
}

func newDBPool(t *testing.T, dialectName string, seeds int) *dbPool {
	n := runtime.GOMAXPROCS(0)
	if f := flag.Lookup("test.parallel"); f != nil {
		n, _ = strconv.Atoi(f.Value.String())
	}
	n = max(1, min(n, seeds))
	p := &dbPool{dialect: dialectName, free: make(chan *fixture.DB, n)}
	for range n {
		db := fixture.Open(t, dialectName)
		if dialectName == dialect.Postgres {
			// Durability does not matter here, and the histories commit
			// hundreds of times.
			_, err := db.SQL.Exec(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database()); END $$`)
			require.NoError(t, err)
			db.SQL.SetMaxIdleConns(-1) // connections opened from now on take the setting
			db.SQL.SetMaxIdleConns(2)
		}
		p.free <- db
	}
	return p
}

// get lends t a database with empty tables and fresh sequences.
func (p *dbPool) get(t *testing.T) *fixture.DB {
	db := <-p.free
	t.Cleanup(func() {
		p.reset(t, db)
		p.free <- db
	})
	return db
}

func (p *dbPool) reset(t *testing.T, db *fixture.DB) {
	tables := append(replay.ClearOrder(ent.Entevents()), "events")
	if p.dialect == dialect.Postgres {
		_, err := db.SQL.Exec(`TRUNCATE ` + strings.Join(tables, ", ") + ` RESTART IDENTITY CASCADE`)
		require.NoError(t, err)
		return
	}
	for _, table := range tables {
		_, err := db.SQL.Exec(`DELETE FROM ` + table)
		require.NoError(t, err)
	}
	_, err := db.SQL.Exec(`DELETE FROM sqlite_sequence`)
	require.NoError(t, err)
}

// history writes random mutations through the example client.
type history struct {
	t    *testing.T
	ctx  context.Context
	rnd  *rand.Rand
	main *ent.Client
	c    *ent.Client // main, or a transaction's client
	n    int         // for unique values
}

var base = time.Date(2025, 3, 30, 1, 59, 0, 0, time.UTC)

// step runs one random operation, or a few in a transaction that is committed
// or rolled back, and returns the number of operations it ran.
func (h *history) step() int {
	if h.rnd.IntN(10) > 0 {
		h.c = h.main
		h.check(h.op())
		return 1
	}
	tx, err := h.main.Tx(h.ctx)
	require.NoError(h.t, err)
	h.c = tx.Client()
	n := 2 + h.rnd.IntN(3)
	for range n {
		if err := h.op(); err != nil {
			h.check(err)
			require.NoError(h.t, tx.Rollback())
			return n
		}
	}
	if h.rnd.IntN(4) == 0 {
		require.NoError(h.t, tx.Rollback())
	} else {
		require.NoError(h.t, tx.Commit())
	}
	return n
}

// check fails the test on errors other than those a random history provokes
// on purpose: constraint violations, missing records, validation errors.
func (h *history) check(err error) {
	h.t.Helper()
	if err == nil || ent.IsConstraintError(err) || ent.IsNotFound(err) || ent.IsValidationError(err) || sqlgraph.IsConstraintError(err) {
		return
	}
	require.NoError(h.t, err)
}

func (h *history) op() error {
	ops := []func() error{
		h.createUser, h.createUser, h.createUsersBulk, h.createPost, h.createPost, h.createPostsBulk,
		h.createTag, h.createTagsBulk, h.createComment, h.createComment, h.createProfile,
		h.updateUser, h.updateUser, h.updatePost, h.updatePost, h.updateTag, h.updateComment, h.updateProfile,
		h.updateManyPosts, h.updateManyUsers, h.updateManyComments, h.updateRun, h.updateRun,
		h.deleteOne, h.deleteMany, h.upsertTag, h.upsertUser,
	}
	return ops[h.rnd.IntN(len(ops))]()
}

func (h *history) ids(q interface {
	IDs(context.Context) ([]int, error)
}) []int {
	ids, err := q.IDs(h.ctx)
	require.NoError(h.t, err)
	return ids
}

// The ids are sorted so that a seed always makes the same history.
func (h *history) userIDs() []int    { return h.ids(h.c.User.Query().Order(user.ByID())) }
func (h *history) postIDs() []int    { return h.ids(h.c.Post.Query().Order(post.ByID())) }
func (h *history) tagIDs() []int     { return h.ids(h.c.Tag.Query().Order(tag.ByID())) }
func (h *history) profileIDs() []int { return h.ids(h.c.Profile.Query().Order(profile.ByID())) }
func (h *history) commentIDs() []uuid.UUID {
	ids, err := h.c.Comment.Query().Order(comment.ByID()).IDs(h.ctx)
	require.NoError(h.t, err)
	return ids
}

// pick returns a random element of s (a missing one, 0, now and then).
func pick[T any](h *history, s []T) (T, bool) {
	var zero T
	if len(s) == 0 || h.rnd.IntN(20) == 0 {
		return zero, false
	}
	return s[h.rnd.IntN(len(s))], true
}

// some returns up to max random elements of s.
func some[T any](h *history, s []T, max int) []T {
	n := h.rnd.IntN(max + 1)
	out := make([]T, 0, n)
	for _, i := range h.rnd.Perm(len(s)) {
		if len(out) == n {
			break
		}
		out = append(out, s[i])
	}
	return out
}

func (h *history) chance(n int) bool { return h.rnd.IntN(n) == 0 }

func (h *history) time() time.Time {
	t := base.Add(time.Duration(h.rnd.Int64N(int64(400 * 24 * time.Hour))))
	if h.chance(2) {
		return t.In(time.Local)
	}
	return t
}

func (h *history) int64() int64 {
	switch h.rnd.IntN(4) {
	case 0:
		return h.rnd.Int64() // beyond 2^53
	case 1:
		return -h.rnd.Int64N(1 << 60)
	default:
		return h.rnd.Int64N(1000)
	}
}

func (h *history) float() float64 {
	switch h.rnd.IntN(3) {
	case 0:
		return h.rnd.NormFloat64() * 1e6
	case 1:
		return math.Nextafter(1, 2)
	}
	return float64(h.rnd.IntN(100))
}

func (h *history) bytes() []byte {
	b := make([]byte, h.rnd.IntN(6))
	for i := range b {
		b[i] = byte(h.rnd.UintN(256))
	}
	return b
}

func (h *history) attributes() map[string]any {
	m := map[string]any{"n": h.rnd.Int64(), "s": fmt.Sprint("a\"\\\u00e9", h.rnd.IntN(9))}
	if h.chance(2) {
		m["nested"] = []any{1.5, nil, true, map[string]any{"x": h.float()}}
	}
	return m
}

func (h *history) settings() schema.Settings {
	s := schema.Settings{Theme: []string{"dark", "light", ""}[h.rnd.IntN(3)], Notifications: h.chance(2)}
	if h.chance(2) {
		s.Languages = some(h, []string{"en", "fr", "de"}, 3)
	}
	return s
}

func (h *history) tagName() string { return fmt.Sprintf("tag%d", h.rnd.IntN(40)) }

func (h *history) email() string {
	h.n++
	return fmt.Sprintf("u%d@x", h.n)
}

func (h *history) userCreate() *ent.UserCreate {
	c := h.c.User.Create().SetName([]string{"Ada", "Bob", "Cy", ""}[h.rnd.IntN(4)]).SetEmail(h.email())
	if h.chance(2) {
		c.SetAge(h.rnd.IntN(100))
	}
	if h.chance(2) {
		c.SetKarma(h.int64())
	}
	if h.chance(3) {
		c.SetQuota(h.rnd.Uint64N(1 << 62))
	}
	if h.chance(2) {
		c.SetScore(h.float())
	}
	if h.chance(3) {
		c.SetAvatar(h.bytes())
	}
	if h.chance(3) {
		c.SetSettings(h.settings())
	}
	if h.chance(3) {
		c.SetLastSeenAt(h.time())
	}
	if h.chance(4) {
		c.SetPasswordHash("secret") // sensitive: not in the events, not in the dumps
	}
	if h.chance(4) {
		c.SetRole(user.RoleAdmin)
	}
	return c
}

func (h *history) createUser() error {
	c := h.userCreate()
	if h.chance(4) {
		c.AddPostIDs(some(h, h.postIDs(), 2)...)
	}
	if id, ok := pick(h, h.profileIDs()); ok && h.chance(4) {
		c.SetProfileID(id)
	}
	return c.Exec(h.ctx)
}

func (h *history) createUsersBulk() error {
	bs := make([]*ent.UserCreate, 1+h.rnd.IntN(4))
	for i := range bs {
		bs[i] = h.userCreate()
	}
	return h.c.User.CreateBulk(bs...).Exec(h.ctx)
}

func (h *history) postCreate() *ent.PostCreate {
	c := h.c.Post.Create().SetTitle(fmt.Sprint("post ", h.rnd.IntN(1000)))
	if h.chance(2) {
		c.SetBody("body")
	}
	if h.chance(3) {
		c.SetStatus(post.StatusPublished).SetPublishedAt(h.time())
	}
	if h.chance(2) {
		c.SetViews(h.rnd.IntN(50))
	}
	if h.chance(3) {
		c.SetAttributes(h.attributes())
	}
	if id, ok := pick(h, h.userIDs()); ok && h.chance(2) {
		c.SetAuthorID(id)
	}
	c.AddTagIDs(some(h, h.tagIDs(), 3)...)
	return c
}

func (h *history) createPost() error {
	c := h.postCreate()
	if h.chance(4) {
		c.AddCommentIDs(some(h, h.commentIDs(), 2)...)
	}
	return c.Exec(h.ctx)
}

func (h *history) createPostsBulk() error {
	n := 1 + h.rnd.IntN(4)
	return h.c.Post.MapCreateBulk(make([]struct{}, n), func(c *ent.PostCreate, i int) {
		*c = *h.postCreate()
	}).Exec(h.ctx)
}

func (h *history) createTag() error {
	c := h.c.Tag.Create().SetName(h.tagName())
	if h.chance(3) {
		c.AddPostIDs(some(h, h.postIDs(), 3)...)
	}
	return c.Exec(h.ctx)
}

func (h *history) createTagsBulk() error {
	bs := make([]*ent.TagCreate, 1+h.rnd.IntN(3))
	for i := range bs {
		bs[i] = h.c.Tag.Create().SetName(h.tagName())
	}
	return h.c.Tag.CreateBulk(bs...).Exec(h.ctx)
}

func (h *history) createComment() error {
	c := h.c.Comment.Create().SetBody(fmt.Sprint("comment ", h.rnd.IntN(100)))
	if h.chance(2) {
		c.SetLikes(h.rnd.IntN(10) - 3)
	}
	// Drawn from the seed (the default, uuid.New, would make the history
	// differ from run to run).
	var id uuid.UUID
	for i := range id {
		id[i] = byte(h.rnd.UintN(256))
	}
	c.SetID(id)
	if id, ok := pick(h, h.postIDs()); ok {
		c.SetPostID(id)
	}
	if id, ok := pick(h, h.userIDs()); ok && h.chance(2) {
		c.SetAuthorID(id)
	}
	return c.Exec(h.ctx)
}

func (h *history) createProfile() error {
	c := h.c.Profile.Create()
	if h.chance(2) {
		c.SetBio("bio")
	}
	if h.chance(2) {
		c.SetWebsite("https://example.com")
	}
	if id, ok := pick(h, h.userIDs()); ok && h.chance(2) {
		c.SetUserID(id) // fails when the user has a profile
	}
	return c.Exec(h.ctx)
}

func (h *history) updateUser() error {
	id, ok := pick(h, h.userIDs())
	if !ok {
		id = 1 << 30 // not found
	}
	u := h.c.User.UpdateOneID(id)
	// Distinct cases: ent cannot set and clear one column in one UPDATE.
	for _, k := range h.rnd.Perm(12)[:1+h.rnd.IntN(4)] {
		switch k {
		case 0:
			u.SetName("Renamed").SetRole(user.RoleMember)
		case 1:
			if h.chance(2) {
				u.ClearAge()
			} else {
				u.AddAge(h.rnd.IntN(5) - 2) // on NULL too
			}
		case 2:
			u.AddKarma(h.int64() / 4)
		case 3:
			u.AddScore(h.float()).AddQuota(int64(h.rnd.IntN(100)))
		case 4:
			if h.chance(2) {
				u.SetAvatar(h.bytes())
			} else {
				u.ClearAvatar()
			}
		case 5:
			if h.chance(2) {
				u.SetSettings(h.settings())
			} else {
				u.ClearSettings()
			}
		case 6:
			if h.chance(2) {
				u.SetLastSeenAt(h.time())
			} else {
				u.ClearLastSeenAt()
			}
		case 7:
			u.AddPostIDs(some(h, h.postIDs(), 2)...)
		case 8:
			u.RemovePostIDs(some(h, h.postIDs(), 2)...)
		case 9:
			u.ClearPosts()
		case 10:
			u.ClearComments().AddCommentIDs(some(h, h.commentIDs(), 2)...)
		case 11:
			if pid, ok := pick(h, h.profileIDs()); ok && h.chance(2) {
				u.SetProfileID(pid)
			} else {
				u.ClearProfile()
			}
		}
	}
	return u.Exec(h.ctx)
}

func (h *history) updatePost() error {
	id, ok := pick(h, h.postIDs())
	if !ok {
		id = 1 << 30
	}
	u := h.c.Post.UpdateOneID(id)
	for _, k := range h.rnd.Perm(10)[:1+h.rnd.IntN(4)] {
		switch k {
		case 0:
			u.SetTitle("retitled")
		case 1:
			u.AddViews(h.rnd.IntN(7) - 2)
		case 2:
			if h.chance(2) {
				u.SetStatus(post.StatusArchived).ClearPublishedAt()
			} else {
				u.SetPublishedAt(h.time())
			}
		case 3:
			if h.chance(2) {
				u.SetAttributes(h.attributes())
			} else {
				u.ClearAttributes()
			}
		case 4:
			if uid, ok := pick(h, h.userIDs()); ok && h.chance(2) {
				u.SetAuthorID(uid)
			} else {
				u.ClearAuthor()
			}
		case 5:
			u.AddTagIDs(some(h, h.tagIDs(), 3)...)
		case 6:
			u.RemoveTagIDs(some(h, h.tagIDs(), 3)...)
		case 7:
			u.ClearTags()
		case 8:
			u.AddCommentIDs(some(h, h.commentIDs(), 2)...)
		case 9:
			u.RemoveCommentIDs(some(h, h.commentIDs(), 2)...)
			if h.chance(2) {
				u.ClearComments()
			}
		}
	}
	return u.Exec(h.ctx)
}

func (h *history) updateTag() error {
	id, ok := pick(h, h.tagIDs())
	if !ok {
		id = 1 << 30
	}
	u := h.c.Tag.UpdateOneID(id)
	switch h.rnd.IntN(4) {
	case 0:
		u.SetName(h.tagName())
	case 1:
		u.AddPostIDs(some(h, h.postIDs(), 3)...)
	case 2:
		u.RemovePostIDs(some(h, h.postIDs(), 3)...)
	case 3:
		u.ClearPosts().AddPostIDs(some(h, h.postIDs(), 1)...)
	}
	return u.Exec(h.ctx)
}

func (h *history) updateComment() error {
	id, ok := pick(h, h.commentIDs())
	if !ok {
		id = uuid.Max // not found
	}
	u := h.c.Comment.UpdateOneID(id).AddLikes(h.rnd.IntN(3))
	switch h.rnd.IntN(5) {
	case 0:
		u.SetBody("edited")
	case 1:
		if pid, ok := pick(h, h.postIDs()); ok {
			u.SetPostID(pid)
		}
	case 2:
		u.ClearPost()
	case 3:
		if uid, ok := pick(h, h.userIDs()); ok {
			u.SetAuthorID(uid)
		}
	case 4:
		u.ClearAuthor().ClearPost()
	}
	return u.Exec(h.ctx)
}

func (h *history) updateProfile() error {
	id, ok := pick(h, h.profileIDs())
	if !ok {
		id = 1 << 30
	}
	u := h.c.Profile.UpdateOneID(id)
	switch h.rnd.IntN(4) {
	case 0:
		u.SetBio("new bio").ClearWebsite()
	case 1:
		u.SetWebsite("https://new.example.com")
	case 2:
		if uid, ok := pick(h, h.userIDs()); ok {
			u.SetUserID(uid)
		}
	case 3:
		u.ClearUser()
	}
	return u.Exec(h.ctx)
}

// updateRun updates a few records of one entity one by one, all with the same
// fields and edges but each with its own values: replay applies such runs with
// one statement.
func (h *history) updateRun() error {
	n := 2 + h.rnd.IntN(8)
	kinds := h.rnd.Perm(7)[:1+h.rnd.IntN(3)]
	variant := h.chance(2) // set or clear, for the whole run
	switch h.rnd.IntN(4) {
	case 0:
		for range n {
			id, ok := pick(h, h.userIDs())
			if !ok {
				id = 1 << 30
			}
			u := h.c.User.UpdateOneID(id)
			for _, k := range kinds {
				switch k {
				case 0:
					u.SetName(fmt.Sprint("run ", h.rnd.IntN(1000)))
				case 1:
					u.AddAge(h.rnd.IntN(5) - 2) // on NULL too
				case 2:
					u.AddKarma(h.rnd.Int64N(1000) - 500).AddScore(h.float()).AddQuota(int64(h.rnd.IntN(100)))
				case 3:
					if variant {
						u.SetAvatar(h.bytes())
					} else {
						u.ClearAvatar()
					}
				case 4:
					if variant {
						u.SetSettings(h.settings())
					} else {
						u.ClearSettings()
					}
				case 5:
					u.SetLastSeenAt(h.time())
				case 6:
					u.SetRole([]user.Role{user.RoleAdmin, user.RoleMember}[h.rnd.IntN(2)])
				}
			}
			if err := u.Exec(h.ctx); err != nil {
				return err
			}
		}
	case 1:
		for range n {
			id, ok := pick(h, h.postIDs())
			if !ok {
				id = 1 << 30
			}
			u := h.c.Post.UpdateOneID(id)
			for _, k := range kinds {
				switch k {
				case 0:
					u.SetTitle(fmt.Sprint("run ", h.rnd.IntN(1000)))
				case 1:
					u.AddViews(h.rnd.IntN(7) - 2)
				case 2:
					u.SetPublishedAt(h.time())
				case 3:
					if variant {
						u.SetAttributes(h.attributes())
					} else {
						u.ClearAttributes()
					}
				case 4:
					if uid, ok := pick(h, h.userIDs()); ok && variant {
						u.SetAuthorID(uid)
					} else {
						u.ClearAuthor()
					}
				case 5:
					u.SetStatus([]post.Status{post.StatusDraft, post.StatusPublished, post.StatusArchived}[h.rnd.IntN(3)])
				case 6:
					u.SetBody(fmt.Sprint("body ", h.rnd.IntN(1000)))
				}
			}
			if err := u.Exec(h.ctx); err != nil {
				return err
			}
		}
	case 2:
		for range n {
			id, ok := pick(h, h.commentIDs())
			if !ok {
				id = uuid.Max
			}
			u := h.c.Comment.UpdateOneID(id)
			for _, k := range kinds {
				switch k {
				case 0, 1:
					u.SetBody(fmt.Sprint("run ", h.rnd.IntN(1000)))
				case 2, 3:
					u.AddLikes(h.rnd.IntN(5) - 2)
				case 4:
					if pid, ok := pick(h, h.postIDs()); ok && variant {
						u.SetPostID(pid)
					} else {
						u.ClearPost()
					}
				default:
					if uid, ok := pick(h, h.userIDs()); ok && variant {
						u.SetAuthorID(uid)
					} else {
						u.ClearAuthor()
					}
				}
			}
			if err := u.Exec(h.ctx); err != nil {
				return err
			}
		}
	default:
		for range n {
			id, ok := pick(h, h.profileIDs())
			if !ok {
				id = 1 << 30
			}
			u := h.c.Profile.UpdateOneID(id)
			for _, k := range kinds {
				switch k {
				case 0, 1:
					u.SetBio(fmt.Sprint("bio ", h.rnd.IntN(1000)))
				case 2, 3:
					if variant {
						u.SetWebsite(fmt.Sprint("https://", h.rnd.IntN(1000)))
					} else {
						u.ClearWebsite()
					}
				default:
					if uid, ok := pick(h, h.userIDs()); ok && variant {
						u.SetUserID(uid) // fails when the user has a profile
					} else {
						u.ClearUser()
					}
				}
			}
			if err := u.Exec(h.ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *history) updateManyPosts() error {
	u := h.c.Post.Update().Where(post.ViewsLTE(h.rnd.IntN(60)))
	switch h.rnd.IntN(4) {
	case 0:
		u.AddViews(1).SetStatus(post.StatusPublished)
	case 1:
		u.AddTagIDs(some(h, h.tagIDs(), 2)...)
	case 2:
		u.ClearTags().SetBody("bulk")
	case 3:
		u.ClearAuthor().ClearAttributes()
	}
	return u.Exec(h.ctx)
}

func (h *history) updateManyUsers() error {
	u := h.c.User.Update().Where(user.KarmaLT(h.int64()))
	if h.chance(2) {
		u.AddKarma(3).SetRole(user.RoleAdmin)
	} else {
		u.ClearAge().AddScore(0.25).ClearProfile()
	}
	return u.Exec(h.ctx)
}

func (h *history) updateManyComments() error {
	u := h.c.Comment.Update().Where(comment.LikesGTE(h.rnd.IntN(8) - 3))
	if h.chance(2) {
		u.AddLikes(-1)
	} else {
		u.ClearPost()
	}
	return u.Exec(h.ctx)
}

func (h *history) deleteOne() error {
	switch h.rnd.IntN(5) {
	case 0:
		id, _ := pick(h, h.userIDs())
		return h.c.User.DeleteOneID(id).Exec(h.ctx)
	case 1:
		id, _ := pick(h, h.postIDs())
		return h.c.Post.DeleteOneID(id).Exec(h.ctx)
	case 2:
		id, _ := pick(h, h.tagIDs())
		return h.c.Tag.DeleteOneID(id).Exec(h.ctx)
	case 3:
		id, _ := pick(h, h.commentIDs())
		return h.c.Comment.DeleteOneID(id).Exec(h.ctx)
	default:
		id, _ := pick(h, h.profileIDs())
		return h.c.Profile.DeleteOneID(id).Exec(h.ctx)
	}
}

func (h *history) deleteMany() error {
	switch h.rnd.IntN(4) {
	case 0:
		_, err := h.c.Post.Delete().Where(post.ViewsGT(40 + h.rnd.IntN(20))).Exec(h.ctx)
		return err
	case 1:
		_, err := h.c.Comment.Delete().Where(comment.LikesGT(h.rnd.IntN(10))).Exec(h.ctx)
		return err
	case 2:
		_, err := h.c.Tag.Delete().Where(tag.NameIn(h.tagName(), h.tagName(), h.tagName())).Exec(h.ctx)
		return err
	default:
		_, err := h.c.User.Delete().Where(user.KarmaGT(1 << 61)).Exec(h.ctx)
		return err
	}
}

func (h *history) upsertTag() error {
	c := h.c.Tag.Create().SetName(h.tagName()).OnConflictColumns(tag.FieldName)
	if h.chance(2) {
		return c.Ignore().Exec(h.ctx)
	}
	return c.UpdateNewValues().Exec(h.ctx)
}

func (h *history) upsertUser() error {
	email := h.email()
	if ids := h.userIDs(); len(ids) > 0 && h.chance(4) == false {
		u, err := h.c.User.Get(h.ctx, ids[h.rnd.IntN(len(ids))])
		require.NoError(h.t, err)
		email = u.Email
	}
	c := h.userCreate().SetEmail(email).OnConflictColumns(user.FieldEmail)
	switch h.rnd.IntN(3) {
	case 0:
		return c.Ignore().Exec(h.ctx)
	case 1:
		return c.AddKarma(7).UpdateLastSeenAt().Exec(h.ctx)
	default:
		return c.UpdateNewValues().Exec(h.ctx)
	}
}
