package replay_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/comment"
	"github.com/entevents/entevents/example/ent/post"
	"github.com/entevents/entevents/example/ent/schema"
	"github.com/entevents/entevents/example/ent/tag"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

// TestRunWritePaths records a history through one write path of ent, replays
// it, and checks that the tables are exactly as they were.
func TestRunWritePaths(t *testing.T) {
	t.Parallel()
	lastSeen := time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.Local)
	tests := []struct {
		name    string
		history func(t *testing.T, ctx context.Context, c *ent.Client)
	}{
		{"CreateEveryFieldType", func(t *testing.T, ctx context.Context, c *ent.Client) {
			c.User.Create().SetName("Ada").SetEmail("ada@x").SetRole(user.RoleAdmin).SetAge(36).
				SetKarma(1<<60 + 1).SetQuota(1 << 62).SetScore(3.141592653589793).SetAvatar([]byte{0, 1, 2, 255}).
				SetSettings(schema.Settings{Theme: "dark", Notifications: true, Languages: []string{"en", "fr"}}).
				SetLastSeenAt(lastSeen).SaveX(ctx)
			c.User.Create().SetName("Bob").SetEmail("bob@x").SetAvatar([]byte{}).SaveX(ctx)
			c.Post.Create().SetTitle("t").SetAttributes(map[string]any{"n": 9007199254740993, "f": 1.5, "s": []any{"a", nil}}).SaveX(ctx)
			c.Comment.Create().SetBody("c").SetLikes(-3).SaveX(ctx)
			c.Profile.Create().SetWebsite("https://x").SaveX(ctx)
		}},
		{"CreateBulk", func(t *testing.T, ctx context.Context, c *ent.Client) {
			c.Tag.CreateBulk(c.Tag.Create().SetName("a"), c.Tag.Create().SetName("b"), c.Tag.Create().SetName("c")).SaveX(ctx)
			us := c.User.CreateBulk(c.User.Create().SetName("u1").SetEmail("u1@x"), c.User.Create().SetName("u2").SetEmail("u2@x").SetAge(3)).SaveX(ctx)
			c.Post.MapCreateBulk([]string{"p1", "p2", "p3"}, func(pc *ent.PostCreate, i int) {
				pc.SetTitle([]string{"p1", "p2", "p3"}[i]).SetAuthor(us[i%2]).AddTagIDs(1 + i%3)
			}).SaveX(ctx)
		}},
		{"UpdateOne", func(t *testing.T, ctx context.Context, c *ent.Client) {
			u := c.User.Create().SetName("Ada").SetEmail("ada@x").SetAge(3).SetAvatar([]byte("a")).SaveX(ctx)
			u = u.Update().SetName("Ada L").ClearAge().ClearAvatar().AddKarma(-7).AddScore(0.5).AddQuota(4).SaveX(ctx)
			u.Update().AddAge(2).SetLastSeenAt(lastSeen).SaveX(ctx) // add to NULL
			p := c.Post.Create().SetTitle("t").SetPublishedAt(lastSeen).SaveX(ctx)
			p.Update().AddViews(10).ClearPublishedAt().SetStatus(post.StatusArchived).SaveX(ctx)
			p.Update().AddViews(-3).SaveX(ctx)
		}},
		{"UpdateMany", func(t *testing.T, ctx context.Context, c *ent.Client) {
			for i := range 6 {
				c.Post.Create().SetTitle("p").SetViews(i).SaveX(ctx)
			}
			c.Post.Update().Where(post.ViewsGTE(2)).AddViews(100).SetStatus(post.StatusPublished).ExecX(ctx)
			c.Post.Update().Where(post.ViewsLT(100)).SetBody("low").ClearAttributes().ExecX(ctx)
			c.Post.Update().Where(post.ViewsGT(1000)).SetBody("none").ExecX(ctx) // no rows
		}},
		{"Delete", func(t *testing.T, ctx context.Context, c *ent.Client) {
			u := c.User.Create().SetName("a").SetEmail("a@x").SaveX(ctx)
			for i := range 5 {
				c.Post.Create().SetTitle("p").SetViews(i).SetAuthor(u).AddTags(c.Tag.Create().SetName(string(rune('a' + i))).SaveX(ctx)).SaveX(ctx)
			}
			c.Post.DeleteOneID(1).ExecX(ctx)
			c.Post.Delete().Where(post.ViewsGTE(3)).ExecX(ctx)
			c.User.DeleteOne(u).ExecX(ctx) // posts.author_id set NULL by the foreign key
			c.Tag.Delete().Where(tag.NameIn("a", "b")).ExecX(ctx)
			c.User.Create().SetName("b").SetEmail("b@x").SaveX(ctx) // id 2, after the deleted id 1
		}},
		{"Upsert", func(t *testing.T, ctx context.Context, c *ent.Client) {
			c.Tag.Create().SetName("go").OnConflictColumns(tag.FieldName).UpdateNewValues().ExecX(ctx)
			c.Tag.Create().SetName("go").OnConflictColumns(tag.FieldName).UpdateNewValues().ExecX(ctx)
			c.User.Create().SetName("Ada").SetEmail("ada@x").SetAge(3).OnConflictColumns(user.FieldEmail).UpdateNewValues().ExecX(ctx)
			c.User.Create().SetName("Ada2").SetEmail("ada@x").SetKarma(5).OnConflictColumns(user.FieldEmail).UpdateNewValues().ExecX(ctx)
			c.User.Create().SetName("Ada3").SetEmail("ada@x").OnConflictColumns(user.FieldEmail).Ignore().ExecX(ctx)
			c.User.Create().SetName("Bob").SetEmail("bob@x").OnConflictColumns(user.FieldEmail).AddKarma(3).ExecX(ctx)
			c.User.Create().SetName("Bob").SetEmail("bob@x").OnConflictColumns(user.FieldEmail).AddKarma(3).ExecX(ctx)
			// An empty BLOB is not NULL (SQLite returns it as a nil []byte).
			c.User.Create().SetName("Eve").SetEmail("eve@x").SetAvatar([]byte{}).OnConflictColumns(user.FieldEmail).UpdateNewValues().ExecX(ctx)
			c.User.Create().SetName("Eve").SetEmail("eve@x").SetAvatar([]byte{}).OnConflictColumns(user.FieldEmail).UpdateNewValues().ExecX(ctx)
		}},
		{"EdgesM2M", func(t *testing.T, ctx context.Context, c *ent.Client) {
			tags := c.Tag.CreateBulk(c.Tag.Create().SetName("a"), c.Tag.Create().SetName("b"), c.Tag.Create().SetName("c")).SaveX(ctx)
			p := c.Post.Create().SetTitle("p").AddTags(tags[0], tags[1]).SaveX(ctx)
			q := c.Post.Create().SetTitle("q").SaveX(ctx)
			p.Update().RemoveTags(tags[0]).AddTags(tags[2]).SaveX(ctx)
			tags[0].Update().AddPosts(p, q).SaveX(ctx) // inverse side
			tags[1].Update().RemovePosts(p).SaveX(ctx)
			q.Update().ClearTags().AddTags(tags[1]).SaveX(ctx)
			c.Post.Update().Where(post.TitleIn("p", "q")).AddTags(tags[2]).ExecX(ctx)
			tags[2].Update().ClearPosts().SaveX(ctx)
		}},
		{"EdgesO2M", func(t *testing.T, ctx context.Context, c *ent.Client) {
			u := c.User.Create().SetName("u").SetEmail("u@x").SaveX(ctx)
			v := c.User.Create().SetName("v").SetEmail("v@x").SaveX(ctx)
			ps := c.Post.CreateBulk(c.Post.Create().SetTitle("a"), c.Post.Create().SetTitle("b"), c.Post.Create().SetTitle("c")).SaveX(ctx)
			u.Update().AddPosts(ps[0], ps[1]).SaveX(ctx)
			u.Update().RemovePosts(ps[0]).SaveX(ctx)
			v.Update().AddPosts(ps[0], ps[2]).SaveX(ctx)
			v.Update().ClearPosts().SaveX(ctx)
			w := c.User.Create().SetName("w").SetEmail("w@x").AddPosts(ps[2]).SaveX(ctx) // O2M on create
			cm := c.Comment.Create().SetBody("c").SetPost(ps[1]).SetAuthor(w).SaveX(ctx)
			ps[1].Update().ClearComments().SaveX(ctx)
			ps[0].Update().AddComments(cm).SaveX(ctx)
			c.Comment.Create().SetID(uuid.MustParse("00000000-0000-4000-8000-000000000001")).SetBody("d").SetPost(ps[2]).SaveX(ctx)
		}},
		{"EdgesM2O", func(t *testing.T, ctx context.Context, c *ent.Client) {
			u := c.User.Create().SetName("u").SetEmail("u@x").SaveX(ctx)
			p := c.Post.Create().SetTitle("a").SetAuthor(u).SaveX(ctx) // edge field author_id
			cm := c.Comment.Create().SetBody("c").SetPost(p).SaveX(ctx)
			cm.Update().ClearPost().SetAuthor(u).SaveX(ctx)
			p.Update().ClearAuthor().SaveX(ctx)
			p.Update().SetAuthorID(u.ID).SaveX(ctx)
			c.Comment.Update().Where(comment.BodyEQ("c")).ClearAuthor().SetPost(p).ExecX(ctx)
		}},
		{"EdgesO2O", func(t *testing.T, ctx context.Context, c *ent.Client) {
			u := c.User.Create().SetName("u").SetEmail("u@x").SaveX(ctx)
			pr := c.Profile.Create().SetBio("b").SetUser(u).SaveX(ctx) // inverse side, FK in profiles
			u.Update().ClearProfile().SaveX(ctx)
			u.Update().SetProfile(pr).SaveX(ctx)
			pr2 := c.Profile.Create().SetBio("c").SaveX(ctx)
			v := c.User.Create().SetName("v").SetEmail("v@x").SetProfile(pr2).SaveX(ctx) // O2O on create
			pr2.Update().ClearUser().SaveX(ctx)
			pr2.Update().SetUser(v).SaveX(ctx)
		}},
		{"Transaction", func(t *testing.T, ctx context.Context, c *ent.Client) {
			tx, err := c.Tx(ctx)
			require.NoError(t, err)
			u := tx.User.Create().SetName("u").SetEmail("u@x").SaveX(ctx)
			tx.Post.Create().SetTitle("p").SetAuthor(u).SaveX(ctx)
			tx.User.UpdateOne(u).SetAge(1).SaveX(ctx)
			require.NoError(t, tx.Commit())
			tx, err = c.Tx(ctx)
			require.NoError(t, err)
			tx.User.Create().SetName("rolled back").SetEmail("r@x").SaveX(ctx)
			require.NoError(t, tx.Rollback())
			c.User.Create().SetName("w").SetEmail("w@x").SaveX(ctx)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fixture.Each(t, func(t *testing.T, db *fixture.DB) {
				b := setup(t, db)
				tt.history(t, b.ctx, b.client)
				require.NotZero(t, b.eventCount(t))
				b.replayAndCompare(t)
				// A second replay over the rebuilt tables gives the same state.
				b.replayAndCompare(t)
			})
		})
	}
}
