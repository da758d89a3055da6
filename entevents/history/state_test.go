package history_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/history"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/post"
	"github.com/entevents/entevents/example/ent/schema"
	"github.com/entevents/entevents/example/ent/tag"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

// requireAsOf asserts that the state as of each snapshot's time and as of its last
// event id equals the row as it was then.
func requireAsOf(t *testing.T, ctx context.Context, c history.Client, entity string, id any, snaps []snapshot, unknown ...string) {
	t.Helper()
	for _, s := range snaps {
		st, err := history.AsOf(ctx, c, entity, id, s.at)
		require.NoError(t, err, s.label)
		requireState(t, s, st, unknown...)
		if s.eventID == 0 {
			require.Nil(t, st.EventID, s.label)
			continue
		}
		require.False(t, st.OccurredAt.After(s.at), "%s: folded an event after the time", s.label)
		byID, err := history.AsOfEvent(ctx, c, entity, id, s.eventID)
		require.NoError(t, err, s.label)
		requireState(t, s, byID, unknown...)
		require.Equal(t, st.EventID, byID.EventID, s.label)
		require.Equal(t, st.Events, byID.Events, s.label)
	}
}

func TestAsOfUser(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		var snaps []snapshot
		var id int
		edges := func() map[string][]any {
			u := c.User.GetX(ctx, id)
			out := map[string][]any{
				"posts":    anys(u.QueryPosts().IDsX(ctx)...),
				"comments": anys(u.QueryComments().IDsX(ctx)...),
			}
			if pid, err := u.QueryProfile().OnlyID(ctx); err == nil {
				out["profile"] = []any{pid}
			} else {
				require.True(t, ent.IsNotFound(err))
			}
			return out
		}
		snap := func(label string) { snaps = append(snaps, take(t, ctx, c, label, "User", id, edges)) }

		// Posts and a profile made on their own, linked from the user's side.
		posts := c.Post.CreateBulk(c.Post.Create().SetTitle("p1"), c.Post.Create().SetTitle("p2"), c.Post.Create().SetTitle("p3")).SaveX(ctx)
		prof := c.Profile.Create().SetBio("hi").SaveX(ctx)
		prof2 := c.Profile.Create().SetBio("hello").SaveX(ctx)
		before := take(t, ctx, c, "before create", "User", 0, nil)

		u := c.User.Create().SetName("Jane").SetEmail("jane@x").SetPasswordHash("h1").SetAge(30).
			SetKarma(1<<60).SetQuota(7).SetScore(0.5).SetAvatar([]byte{0, 1, 2}).
			SetSettings(schema.Settings{Theme: "dark", Languages: []string{"en", "fr"}}).
			AddPosts(posts[0], posts[1]).SaveX(ctx)
		id = u.ID
		before.fields, before.exists = nil, false
		snaps = append(snaps, before)
		snap("created")

		c.User.UpdateOne(u).SetName("Janet").AddKarma(5).AddScore(1.25).SetProfile(prof).ExecX(ctx)
		snap("renamed, karma added, profile set")

		c.User.UpdateOne(u).ClearAge().ClearAvatar().SetRole(user.RoleAdmin).SetLastSeenAt(time.Now()).
			RemovePosts(posts[0]).AddPosts(posts[2]).ClearProfile().SetProfile(prof2).ExecX(ctx)
		snap("cleared, role, posts and profile changed")

		c.User.Update().Where(user.NameEQ("Janet")).AddKarma(-7).AddQuota(3).SetPasswordHash("h2").ExecX(ctx)
		snap("bulk update")

		// An upsert that hits the existing row records the whole resulting row.
		c.User.Create().SetName("Jane Upserted").SetEmail("jane@x").SetAge(41).
			OnConflictColumns(user.FieldEmail).UpdateNewValues().ExecX(ctx)
		snap("upserted")

		c.User.UpdateOne(u).ClearPosts().ClearProfile().SetSettings(schema.Settings{Theme: "light"}).AddQuota(-2).ExecX(ctx)
		snap("edges cleared")

		c.User.DeleteOneID(u.ID).ExecX(ctx)
		snap("deleted")

		requireAsOf(t, ctx, c, "User", u.ID, snaps, "password_hash")

		// Details the snapshots do not show.
		st, err := history.AsOfEvent(ctx, c, "User", u.ID, snaps[1].eventID)
		require.NoError(t, err)
		require.Equal(t, []string{"password_hash"}, st.Unknown, "sensitive fields are not in the events")
		require.Equal(t, int64(1<<60), st.Fields["karma"], "int64 beyond 2^53")
		require.Equal(t, schema.Settings{Theme: "dark", Languages: []string{"en", "fr"}}, st.Fields["settings"])
		require.Equal(t, []byte{0, 1, 2}, st.Fields["avatar"])
		require.False(t, st.Partial)
		require.Equal(t, 1, st.Events)
		v, ok := st.Value("age")
		require.True(t, ok)
		require.Equal(t, 30, v)

		st, err = history.AsOfEvent(ctx, c, "User", u.ID, snaps[4].eventID)
		require.NoError(t, err)
		require.Equal(t, int64(1<<60-2), st.Fields["karma"])
		require.Equal(t, uint64(10), st.Fields["quota"])
		require.Equal(t, 1.75, st.Fields["score"])
		_, ok = st.Value("age")
		require.False(t, ok, "cleared")

		gone, err := history.Current(ctx, c, "User", u.ID)
		require.NoError(t, err)
		require.False(t, gone.Exists)
		require.Equal(t, 7, gone.Events)
		require.Equal(t, u.ID, gone.ID)

		// Points before the log: no state; ids of other forms.
		st, err = history.AsOf(ctx, c, "User", u.ID, snaps[0].at.Add(-time.Hour))
		require.NoError(t, err)
		require.False(t, st.Exists)
		require.Nil(t, st.EventID)
		st, err = history.AsOf(ctx, c, "User", int64(u.ID), snaps[2].at)
		require.NoError(t, err)
		require.Equal(t, "Janet", st.Fields["name"])

		_, err = history.AsOf(ctx, c, "Nope", 1, time.Now())
		require.ErrorIs(t, err, history.ErrUnknownEntity)
		_, err = history.AsOf(ctx, c, "User", 1, time.Time{})
		require.ErrorIs(t, err, history.ErrInvalidQuery)
		_, err = history.AsOfEvent(ctx, c, "User", "x", 1)
		require.ErrorIs(t, err, history.ErrInvalidQuery)
	})
}

func TestAsOfPostAndComment(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		author := c.User.Create().SetName("A").SetEmail("a@x").SaveX(ctx)
		other := c.User.Create().SetName("B").SetEmail("b@x").SaveX(ctx)
		tags := c.Tag.CreateBulk(c.Tag.Create().SetName("go"), c.Tag.Create().SetName("ent"), c.Tag.Create().SetName("sql")).SaveX(ctx)

		var pid int
		postEdges := func() map[string][]any {
			p := c.Post.GetX(ctx, pid)
			return map[string][]any{"tags": anys(p.QueryTags().IDsX(ctx)...), "comments": anys(p.QueryComments().IDsX(ctx)...)}
		}
		var snaps []snapshot
		snap := func(label string) { snaps = append(snaps, take(t, ctx, c, label, "Post", pid, postEdges)) }

		p := c.Post.Create().SetTitle("Draft").SetAuthor(author).AddTags(tags[0], tags[1]).
			SetAttributes(map[string]any{"words": 120, "lang": "en"}).SaveX(ctx)
		pid = p.ID
		snap("created")
		c.Post.UpdateOne(p).SetStatus(post.StatusPublished).SetPublishedAt(time.Now()).AddViews(3).ExecX(ctx)
		snap("published")
		c.Post.UpdateOne(p).AddViews(4).RemoveTags(tags[0]).AddTags(tags[2]).SetAuthorID(other.ID).ExecX(ctx)
		snap("retagged, new author")
		c.Post.UpdateOne(p).ClearTags().ClearAttributes().ClearPublishedAt().SetStatus(post.StatusArchived).ExecX(ctx)
		snap("archived")
		requireAsOf(t, ctx, c, "Post", p.ID, snaps)

		st, err := history.Current(ctx, c, "Post", p.ID)
		require.NoError(t, err)
		require.Equal(t, 7, st.Fields["views"])
		require.Equal(t, post.StatusArchived, st.Fields["status"])
		require.Equal(t, other.ID, st.Fields["author_id"], "an edge with a field is folded as the field")
		require.NotContains(t, st.Edges, "author")

		// A UUID record, by its id and its string form.
		var cid uuid.UUID
		cEdges := func() map[string][]any {
			cm := c.Comment.GetX(ctx, cid)
			out := map[string][]any{}
			if id, err := cm.QueryPost().OnlyID(ctx); err == nil {
				out["post"] = []any{id}
			}
			if id, err := cm.QueryAuthor().OnlyID(ctx); err == nil {
				out["author"] = []any{id}
			}
			return out
		}
		var csnaps []snapshot
		csnap := func(label string) { csnaps = append(csnaps, take(t, ctx, c, label, "Comment", cid, cEdges)) }
		cm := c.Comment.Create().SetBody("Nice").SetPost(p).SetAuthor(author).SaveX(ctx)
		cid = cm.ID
		csnap("created")
		c.Comment.UpdateOne(cm).AddLikes(2).SetAuthor(other).ExecX(ctx)
		csnap("liked, author replaced")
		c.Comment.UpdateOne(cm).ClearPost().SetBody("Nice!").ExecX(ctx)
		csnap("detached")
		c.Comment.DeleteOne(cm).ExecX(ctx)
		csnap("deleted")
		requireAsOf(t, ctx, c, "Comment", cm.ID, csnaps)
		requireAsOf(t, ctx, c, "Comment", cm.ID.String(), csnaps)
	})
}

func TestAsOfUpsertedTag(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		var id int
		var snaps []snapshot
		snap := func(label string) { snaps = append(snaps, take(t, ctx, c, label, "Tag", id, nil)) }
		id = c.Tag.Create().SetName("go").OnConflictColumns(tag.FieldName).UpdateNewValues().IDX(ctx)
		snap("upsert inserted")
		c.Tag.UpdateOneID(id).SetName("golang").ExecX(ctx)
		snap("renamed")
		again := c.Tag.Create().SetName("golang").OnConflictColumns(tag.FieldName).UpdateNewValues().IDX(ctx)
		require.Equal(t, id, again)
		snap("upsert hit")
		requireAsOf(t, ctx, c, "Tag", id, snaps)
		evs, err := history.Of(ctx, c, "Tag", id, nil)
		require.NoError(t, err)
		require.Equal(t, []string{"Tag/upsert", "Tag/update", "Tag/upsert"}, actions(evs))
	})
}

func TestAsOfPartialHistory(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		// A record created before the log existed: its history starts with updates.
		insertEvent(t, ctx, c, "User", "77", "update", `{"fields":{"name":"Old"},"added":{"karma":5}}`)
		last := insertEvent(t, ctx, c, "User", "77", "update", `{"fields":{"email":"old@x"},"added":{"score":1.5}}`)
		st, err := history.AsOfEvent(ctx, c, "User", 77, last)
		require.NoError(t, err)
		require.True(t, st.Exists)
		require.True(t, st.Partial)
		require.Equal(t, map[string]any{"name": "Old", "email": "old@x"}, st.Fields)
		require.Equal(t, []string{"karma", "score"}, st.Unknown, "adds to values the log never saw")
		require.Equal(t, last, st.EventID)
		require.Equal(t, 2, st.Events)

		// Folding only the create's own events: an event of another record as the
		// bound is a point of the log, not of the record.
		u := c.User.Create().SetName("N").SetEmail("n@x").SaveX(ctx)
		c.Tag.Create().SetName("t").SaveX(entevents.WithActor(ctx, u))
		st, err = history.AsOfEvent(ctx, c, "User", u.ID, lastEventID(t, ctx, c))
		require.NoError(t, err)
		require.True(t, st.Exists)
		require.False(t, st.Partial)
		require.Equal(t, "N", st.Fields["name"])
		require.Equal(t, 1, st.Events)
	})
}
