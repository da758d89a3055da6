package hook_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/fixture"
)

func events(t *testing.T, ctx context.Context, c *ent.Client) []*ent.Event {
	t.Helper()
	evs, err := c.Event.Query().Order(event.ByID()).All(ctx)
	require.NoError(t, err)
	return evs
}

func TestSmokeBothDialects(t *testing.T) {
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
		require.Len(t, evs, 6)
		for _, e := range evs {
			t.Logf("%d %s %s %s %s", e.ID, e.Entity, e.RecordID, e.Action, e.Data)
		}
	})
}
