package hook_test

import (
	"context"
	"testing"

	"entgo.io/ent"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/entevents/hook"
	"github.com/entevents/entevents/internal/fixture"
)

// plainMutation is a mutation of an ent package generated without the entevents
// extension: it lacks the eventlog.Mutation methods.
type plainMutation struct{ ent.Mutation }

func (plainMutation) Type() string { return "Widget" }
func (plainMutation) Op() ent.Op   { return ent.OpCreate }

func TestNotGenerated(t *testing.T) {
	t.Parallel()
	ran := false
	next := ent.MutateFunc(func(context.Context, ent.Mutation) (ent.Value, error) {
		ran = true
		return nil, nil
	})
	_, err := hook.Capture()(next).Mutate(context.Background(), plainMutation{})
	require.ErrorIs(t, err, entevents.ErrNotGenerated)
	require.Contains(t, err.Error(), "Widget")
	require.Contains(t, err.Error(), "codegen.Extension()")
	require.False(t, ran, "nothing is written")

	// During a replay the hook records nothing and asks nothing of the mutation.
	_, err = hook.Capture()(next).Mutate(eventlog.WithReplaying(context.Background()), plainMutation{})
	require.NoError(t, err)
	require.True(t, ran)
}

// TestReplayingRecordsNothing: mutations made with a replaying context are
// executed and not recorded.
func TestReplayingRecordsNothing(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := eventlog.WithReplaying(context.Background())
		require.True(t, entevents.IsReplaying(ctx))
		u := db.Client.User.Create().SetName("a").SetEmail("a@x").SaveX(ctx)
		db.Client.User.UpdateOne(u).SetAge(1).ExecX(ctx)
		db.Client.Tag.Create().SetName("t").ExecX(ctx)
		require.Equal(t, 1, count(t, db, "users"))
		require.Zero(t, count(t, db, "events"))
	})
}

// TestEventsAppendOnly: the Event entity cannot be updated through ent.
func TestEventsAppendOnly(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		db.Client.Tag.Create().SetName("t").ExecX(ctx)
		ev := events(t, ctx, db.Client)[0]
		_, err := db.Client.Event.Update().Save(ctx)
		require.ErrorIs(t, err, entevents.ErrImmutableEvent)
		require.ErrorIs(t, db.Client.Event.UpdateOne(ev).Exec(ctx), entevents.ErrImmutableEvent)
		require.Equal(t, ev.Data, events(t, ctx, db.Client)[0].Data)
		// Deleting (retention) is allowed, and is not itself recorded.
		require.NoError(t, db.Client.Event.DeleteOne(ev).Exec(ctx))
		require.Zero(t, count(t, db, "events"))
	})
}
