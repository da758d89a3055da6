package hook_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

// TestSession records a short session of mixed writes: one event per row, in
// order, each with its actor.
func TestSession(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		client := db.Client
		u, err := client.User.Create().SetName("Jane").SetEmail("j@x").Save(ctx)
		require.NoError(t, err)
		ctx = entevents.WithActor(ctx, u)
		tg := client.Tag.CreateBulk(client.Tag.Create().SetName("a"), client.Tag.Create().SetName("b")).SaveX(ctx)
		p := client.Post.Create().SetTitle("t").SetAuthor(u).AddTags(tg...).SaveX(ctx)
		client.User.Update().Where(user.NameEQ("Jane")).SetAge(3).ExecX(ctx)
		client.Post.DeleteOne(p).ExecX(ctx)
		evs := events(t, ctx, client)
		var got []string
		for _, e := range evs {
			got = append(got, e.Entity+" "+e.RecordID+" "+e.Action)
		}
		require.Equal(t, []string{"User 1 create", "Tag 1 create", "Tag 2 create", "Post 1 create", "User 1 update", "Post 1 delete"}, got)
		require.Nil(t, evs[0].UserID)
		for _, e := range evs[1:] {
			require.NotNil(t, e.UserID)
			require.Equal(t, int64(u.ID), *e.UserID)
		}
	})
}
