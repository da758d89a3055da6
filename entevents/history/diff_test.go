package history_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/history"
	"github.com/entevents/entevents/example/ent/post"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

// fieldDiffs returns the diffs of d without the update_time that every update sets.
func fieldDiffs(d *history.Diff) map[string]history.FieldDiff {
	out := map[string]history.FieldDiff{}
	for _, f := range d.Fields {
		if f.Field != "update_time" {
			out[f.Field] = f
		}
	}
	return out
}

func TestDiffs(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		admin := c.User.Create().SetName("Admin").SetEmail("admin@x").SaveX(ctx)
		actx := entevents.WithActor(ctx, admin)
		tags := c.Tag.CreateBulk(c.Tag.Create().SetName("go"), c.Tag.Create().SetName("ent"), c.Tag.Create().SetName("sql")).SaveX(ctx)
		p := c.Post.Create().SetTitle("Draft").AddTags(tags[0], tags[1]).SaveX(ctx)
		pub := time.Date(2025, 3, 1, 12, 30, 0, 123456000, time.UTC)
		c.Post.UpdateOne(p).SetTitle("Hello").SetStatus(post.StatusPublished).SetPublishedAt(pub).AddViews(3).ExecX(actx)
		c.Post.UpdateOne(p).AddViews(4).RemoveTags(tags[0]).AddTags(tags[2]).SetAuthor(admin).ExecX(actx)
		c.Post.Update().Where(post.ID(p.ID)).ClearPublishedAt().ClearTags().ExecX(entevents.WithAction(actx, "unpublish"))
		c.Post.DeleteOne(p).ExecX(actx)

		diffs, err := history.Diffs(ctx, c, "Post", p.ID)
		require.NoError(t, err)
		require.Len(t, diffs, 3, "one per update: the create and the delete have none")
		evs, err := history.Of(ctx, c, "Post", p.ID, nil)
		require.NoError(t, err)
		require.Equal(t, ids(evs[1:4]), []int64{diffs[0].Event.ID.(int64), diffs[1].Event.ID.(int64), diffs[2].Event.ID.(int64)})

		d := fieldDiffs(diffs[0])
		require.Equal(t, history.FieldDiff{Field: "title", Old: "Draft", New: "Hello"}, d["title"])
		require.Equal(t, history.FieldDiff{Field: "status", Old: post.StatusDraft, New: post.StatusPublished}, d["status"])
		require.Equal(t, history.FieldDiff{Field: "views", Old: 0, New: 3, Delta: 3}, d["views"])
		require.Nil(t, d["published_at"].Old)
		require.True(t, pub.Equal(d["published_at"].New.(time.Time)))
		require.Len(t, d, 4)
		require.Empty(t, diffs[0].Edges)
		// update_time is there too, old → new.
		require.Equal(t, "update_time", diffs[0].Fields[0].Field, "fields in schema order")
		require.True(t, diffs[0].Fields[0].New.(time.Time).After(diffs[0].Fields[0].Old.(time.Time)))
		require.Equal(t, `title: "Draft" → "Hello"`, d["title"].String())
		require.Equal(t, `views: 0 → 3 (+3)`, d["views"].String())
		require.Equal(t, `published_at: NULL → 2025-03-01 12:30:00.123456 +0000 UTC`, d["published_at"].String())

		d = fieldDiffs(diffs[1])
		require.Equal(t, history.FieldDiff{Field: "views", Old: 3, New: 7, Delta: 4}, d["views"])
		require.Equal(t, history.FieldDiff{Field: "author_id", Old: nil, New: admin.ID}, d["author_id"])
		require.Len(t, d, 2)
		require.Equal(t, []history.EdgeDiff{{Edge: "tags", Added: []any{tags[2].ID}, Removed: []any{tags[0].ID}}}, diffs[1].Edges)
		require.Equal(t, fmt.Sprintf("tags: +[%d] -[%d]", tags[2].ID, tags[0].ID), diffs[1].Edges[0].String())

		require.Equal(t, "unpublish", diffs[2].Event.Action)
		d = fieldDiffs(diffs[2])
		require.Len(t, d, 1)
		require.True(t, pub.Equal(d["published_at"].Old.(time.Time)))
		require.Nil(t, d["published_at"].New)
		require.Equal(t, []history.EdgeDiff{{Edge: "tags", Removed: []any{tags[1].ID, tags[2].ID}, Cleared: true}}, diffs[2].Edges)
		require.Equal(t, fmt.Sprintf("tags: cleared -[%d %d]", tags[1].ID, tags[2].ID), diffs[2].Edges[0].String())

		// A sensitive field stored without a vault: the new value is unknown.
		c.User.UpdateOne(admin).SetPasswordHash("secret").SetName("Root").ExecX(ctx)
		udiffs, err := history.Diffs(ctx, c, "User", admin.ID)
		require.NoError(t, err)
		require.Len(t, udiffs, 1)
		ud := fieldDiffs(udiffs[0])
		require.Equal(t, history.FieldDiff{Field: "password_hash", Redacted: true}, ud["password_hash"])
		require.Equal(t, "password_hash: NULL → (redacted)", ud["password_hash"].String())
		require.Equal(t, history.FieldDiff{Field: "name", Old: "Admin", New: "Root"}, ud["name"])
		require.NotContains(t, string(udiffs[0].Event.Data), "secret")

		// An upsert that hits the record: the fields whose value changed.
		c.User.Create().SetName("Root").SetEmail("admin@x").SetAge(40).
			OnConflictColumns(user.FieldEmail).UpdateNewValues().ExecX(ctx)
		udiffs, err = history.Diffs(ctx, c, "User", admin.ID)
		require.NoError(t, err)
		require.Len(t, udiffs, 2)
		require.Equal(t, "upsert", udiffs[1].Event.Action)
		ud = fieldDiffs(udiffs[1])
		require.Equal(t, history.FieldDiff{Field: "age", Old: nil, New: 40}, ud["age"])
		require.NotContains(t, ud, "name", "unchanged")
		require.NotContains(t, ud, "email", "unchanged")
		require.Equal(t, history.FieldDiff{Field: "password_hash", Redacted: true}, ud["password_hash"], "unknown, so listed")

		none, err := history.Diffs(ctx, c, "Tag", tags[0].ID)
		require.NoError(t, err)
		require.Empty(t, none)
		_, err = history.Diffs(ctx, c, "Nope", 1)
		require.ErrorIs(t, err, history.ErrUnknownEntity)
	})
}
