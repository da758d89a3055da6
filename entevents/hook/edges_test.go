package hook_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/example/ent/post"
	"github.com/entevents/entevents/example/ent/profile"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

// lastEvent returns the newest event.
func lastEvent(t *testing.T, c *ent.Client) *ent.Event {
	t.Helper()
	ev, err := c.Event.Query().Order(ent.Desc(event.FieldID)).First(context.Background())
	require.NoError(t, err)
	return ev
}

func TestEdgeO2O(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		u := c.User.Create().SetName("Jane").SetEmail("j@x").SaveX(ctx)
		p1 := c.Profile.Create().SetBio("one").SaveX(ctx)
		p2 := c.Profile.Create().SetBio("two").SaveX(ctx)

		c.User.UpdateOne(u).SetProfile(p1).ExecX(ctx)
		ev := lastEvent(t, c)
		requireEvent(t, ev, "User", u.ID, "update", event.ActionTypeUpdate, 1)
		require.Equal(t, edgeOp{Added: []any{p1.ID}}, decode(t, ev).Edges["profile"])
		require.Equal(t, []string{"profile", "update_time"}, ev.ChangedFields)
		require.Equal(t, p1.ID, c.User.QueryProfile(u).OnlyIDX(ctx))

		// Replacing a unique edge: ent clears the old link and sets the new one.
		c.User.UpdateOne(u).ClearProfile().SetProfile(p2).ExecX(ctx)
		d := decode(t, lastEvent(t, c))
		require.Equal(t, edgeOp{Added: []any{p2.ID}, Cleared: true}, d.Edges["profile"])
		require.Equal(t, p2.ID, c.User.QueryProfile(u).OnlyIDX(ctx))

		c.User.UpdateOne(u).ClearProfile().ExecX(ctx)
		require.Equal(t, edgeOp{Cleared: true}, decode(t, lastEvent(t, c)).Edges["profile"])
		require.False(t, c.User.QueryProfile(u).ExistX(ctx))

		// The inverse side, from a create.
		p3 := c.Profile.Create().SetBio("three").SetUser(u).SaveX(ctx)
		ev = lastEvent(t, c)
		requireEvent(t, ev, "Profile", p3.ID, "create", event.ActionTypeCreate, 1)
		d = decode(t, ev)
		require.Equal(t, edgeOp{Added: []any{u.ID}}, d.Edges["user"])
		require.Equal(t, map[string]any{"bio": "three"}, d.Set)
		require.Equal(t, []string{"bio", "user"}, ev.ChangedFields)
		require.True(t, c.Profile.Query().Where(profile.ID(p3.ID), profile.HasUserWith(user.ID(u.ID))).ExistX(ctx))
	})
}

func TestEdgeO2M(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		u := c.User.Create().SetName("Jane").SetEmail("j@x").SaveX(ctx)
		ps := c.Post.MapCreateBulk([]string{"a", "b", "c"}, func(b *ent.PostCreate, i int) {
			b.SetTitle(string(rune('a' + i)))
		}).SaveX(ctx)

		// Ids are recorded sorted, whatever order ent keeps them in.
		c.User.UpdateOne(u).AddPosts(ps[2], ps[0], ps[1]).ExecX(ctx)
		ev := lastEvent(t, c)
		requireEvent(t, ev, "User", u.ID, "update", event.ActionTypeUpdate, 1)
		require.Equal(t, edgeOp{Added: []any{ps[0].ID, ps[1].ID, ps[2].ID}}, decode(t, ev).Edges["posts"])
		require.Equal(t, 3, c.User.QueryPosts(u).CountX(ctx))

		c.User.UpdateOne(u).RemovePosts(ps[1]).ExecX(ctx)
		require.Equal(t, edgeOp{Removed: []any{ps[1].ID}}, decode(t, lastEvent(t, c)).Edges["posts"])
		require.ElementsMatch(t, []int{ps[0].ID, ps[2].ID}, c.User.QueryPosts(u).IDsX(ctx))

		c.User.UpdateOne(u).ClearPosts().ExecX(ctx)
		require.Equal(t, edgeOp{Cleared: true}, decode(t, lastEvent(t, c)).Edges["posts"])
		require.Zero(t, c.User.QueryPosts(u).CountX(ctx))

		// O2M to a UUID-id entity, from a create.
		c1 := c.Comment.Create().SetBody("x").SaveX(ctx)
		c2 := c.Comment.Create().SetBody("y").SaveX(ctx)
		p := c.Post.Create().SetTitle("d").AddComments(c1, c2).SaveX(ctx)
		ev = lastEvent(t, c)
		requireEvent(t, ev, "Post", p.ID, "create", event.ActionTypeCreate, 1)
		got := decode(t, ev).Edges["comments"]
		require.ElementsMatch(t, []any{c1.ID, c2.ID}, got.Added)
		for _, id := range got.Added {
			require.IsType(t, uuid.UUID{}, id)
		}
		require.Contains(t, ev.ChangedFields, "comments")
		require.Equal(t, 2, c.Post.QueryComments(p).CountX(ctx))

		// Edge changes over many rows (M2M: an O2M target has one owner): each row's
		// event carries them.
		tg := c.Tag.Create().SetName("t").SaveX(ctx)
		c.Post.Update().Where(post.IDIn(ps[0].ID, ps[1].ID)).AddTags(tg).ExecX(ctx)
		evs := events(t, ctx, c)
		last := evs[len(evs)-2:]
		for i, pid := range []int{ps[0].ID, ps[1].ID} {
			requireEvent(t, last[i], "Post", pid, "update", event.ActionTypeUpdate, 1)
			require.Equal(t, edgeOp{Added: []any{tg.ID}}, decode(t, last[i]).Edges["tags"])
		}
		require.Equal(t, 2, count(t, db, "post_tags"))
	})
}

func TestEdgeM2OWithEdgeField(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		u1 := c.User.Create().SetName("Ann").SetEmail("a@x").SaveX(ctx)
		u2 := c.User.Create().SetName("Bob").SetEmail("b@x").SaveX(ctx)

		// The edge field carries the edge: no separate "author" edge entry.
		p := c.Post.Create().SetTitle("t").SetAuthor(u1).SaveX(ctx)
		ev := lastEvent(t, c)
		d := decode(t, ev)
		require.Equal(t, u1.ID, d.Set["author_id"])
		require.NotContains(t, d.Edges, "author")
		require.NotContains(t, ev.ChangedFields, "author")
		require.Contains(t, ev.ChangedFields, "author_id")

		c.Post.UpdateOne(p).SetAuthorID(u2.ID).ExecX(ctx)
		d = decode(t, lastEvent(t, c))
		require.Equal(t, u2.ID, d.Set["author_id"])
		require.Empty(t, d.Edges)

		c.Post.UpdateOne(p).ClearAuthor().ExecX(ctx)
		ev = lastEvent(t, c)
		d = decode(t, ev)
		require.Equal(t, []string{"author_id"}, d.Cleared)
		require.Empty(t, d.Edges)
		require.Equal(t, []string{"author_id", "update_time"}, ev.ChangedFields)
		require.False(t, c.Post.QueryAuthor(p).ExistX(ctx))

		// The M2O side without an edge field: Comment.post.
		cm := c.Comment.Create().SetBody("b").SetPost(p).SetAuthor(u1).SaveX(ctx)
		ev = lastEvent(t, c)
		requireEvent(t, ev, "Comment", cm.ID, "create", event.ActionTypeCreate, 1)
		d = decode(t, ev)
		require.Equal(t, edgeOp{Added: []any{p.ID}}, d.Edges["post"])
		require.Equal(t, edgeOp{Added: []any{u1.ID}}, d.Edges["author"])
	})
}

func TestEdgeM2M(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		ts := c.Tag.MapCreateBulk([]string{"go", "sql", "ent"}, func(b *ent.TagCreate, i int) {
			b.SetName([]string{"go", "sql", "ent"}[i])
		}).SaveX(ctx)
		p := c.Post.Create().SetTitle("t").AddTags(ts[0], ts[1]).SaveX(ctx)
		ev := lastEvent(t, c)
		requireEvent(t, ev, "Post", p.ID, "create", event.ActionTypeCreate, 1)
		require.Equal(t, edgeOp{Added: []any{ts[0].ID, ts[1].ID}}, decode(t, ev).Edges["tags"])
		require.Equal(t, 2, count(t, db, "post_tags"))

		c.Post.UpdateOne(p).RemoveTags(ts[0]).AddTags(ts[2]).ExecX(ctx)
		ev = lastEvent(t, c)
		require.Equal(t, edgeOp{Added: []any{ts[2].ID}, Removed: []any{ts[0].ID}}, decode(t, ev).Edges["tags"])
		require.Equal(t, []string{"tags", "update_time"}, ev.ChangedFields)
		require.ElementsMatch(t, []int{ts[1].ID, ts[2].ID}, c.Post.QueryTags(p).IDsX(ctx))

		// The inverse side: the Tag's event records the link.
		p2 := c.Post.Create().SetTitle("u").SaveX(ctx)
		c.Tag.UpdateOne(ts[0]).AddPosts(p, p2).ExecX(ctx)
		ev = lastEvent(t, c)
		requireEvent(t, ev, "Tag", ts[0].ID, "update", event.ActionTypeUpdate, 1)
		require.Equal(t, edgeOp{Added: []any{p.ID, p2.ID}}, decode(t, ev).Edges["posts"])
		require.Equal(t, []string{"posts"}, ev.ChangedFields)
		require.Equal(t, 4, count(t, db, "post_tags"))

		c.Tag.UpdateOne(ts[0]).ClearPosts().ExecX(ctx)
		require.Equal(t, edgeOp{Cleared: true}, decode(t, lastEvent(t, c)).Edges["posts"])
		require.Equal(t, 2, count(t, db, "post_tags"))

		c.Post.UpdateOne(p).ClearTags().ExecX(ctx)
		require.Equal(t, edgeOp{Cleared: true}, decode(t, lastEvent(t, c)).Edges["tags"])
		require.Zero(t, count(t, db, "post_tags"))

		// Bulk creates record each row's links.
		ps := c.Post.CreateBulk(c.Post.Create().SetTitle("x").AddTags(ts[0]), c.Post.Create().SetTitle("y").AddTags(ts[2], ts[1])).SaveX(ctx)
		evs := events(t, ctx, c)
		for i, want := range [][]any{{ts[0].ID}, {ts[1].ID, ts[2].ID}} {
			ev := evs[len(evs)-2+i]
			requireEvent(t, ev, "Post", ps[i].ID, "create", event.ActionTypeCreate, 1)
			require.Equal(t, edgeOp{Added: want}, decode(t, ev).Edges["tags"])
		}
		require.Equal(t, 3, count(t, db, "post_tags"))
		c.Post.Delete().Where(post.IDIn(ps[0].ID, ps[1].ID)).ExecX(ctx)

		// Deleting a post removes its join rows; the delete event is all replay needs.
		c.Post.UpdateOne(p2).AddTags(ts[1]).ExecX(ctx)
		c.Post.DeleteOne(p2).ExecX(ctx)
		requireEvent(t, lastEvent(t, c), "Post", p2.ID, "delete", event.ActionTypeDelete, 1)
		require.Zero(t, count(t, db, "post_tags"))
	})
}
