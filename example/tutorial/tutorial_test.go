package tutorial_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/example/tutorial"
	"github.com/entevents/entevents/internal/fixture"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		admin := db.Client.User.Create().SetName("Admin").SetEmail("admin@example.com").SaveX(ctx)
		u, err := tutorial.Register(ctx, db.Client, admin, "req-1")
		require.NoError(t, err)
		ev := db.Client.Event.Query().Where(event.Action("register")).OnlyX(ctx)
		require.Equal(t, "User", ev.Entity)
		require.Equal(t, int64(admin.ID), *ev.UserID)
		require.JSONEq(t, `{"request_id":"req-1"}`, string(ev.Metadata))
		require.Equal(t, u.ID, 2)
	})
}
