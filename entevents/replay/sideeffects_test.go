package replay_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	entgo "entgo.io/ent"
	"entgo.io/ent/privacy"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/post"
	"github.com/entevents/entevents/internal/fixture"
)

// sampleHistory writes a small history touching every tracked entity, every
// kind of edge and every operation.
func sampleHistory(t testing.TB, ctx context.Context, c *ent.Client) {
	t.Helper()
	ada := c.User.Create().SetName("Ada").SetEmail("ada@x").SetAge(36).SaveX(ctx)
	bob := c.User.Create().SetName("Bob").SetEmail("bob@x").SaveX(ctx)
	tags := c.Tag.CreateBulk(c.Tag.Create().SetName("go"), c.Tag.Create().SetName("sql")).SaveX(ctx)
	p := c.Post.Create().SetTitle("Hello").SetAuthor(ada).AddTags(tags...).SaveX(ctx)
	c.Post.Create().SetTitle("Draft").SetAuthor(bob).SaveX(ctx)
	c.Comment.Create().SetBody("Nice").SetPost(p).SetAuthor(bob).SaveX(ctx)
	c.Profile.Create().SetBio("hi").SetUser(ada).SaveX(ctx)
	ada.Update().AddKarma(10).ClearAge().SaveX(ctx)
	c.Post.Update().Where(post.TitleIn("Hello", "Draft")).AddViews(3).ExecX(ctx)
	p.Update().RemoveTags(tags[1]).SaveX(ctx)
	c.User.DeleteOne(bob).ExecX(ctx)
}

// TestRunBypassesApplicationCode shows that replay runs none of the
// application's hooks (client-wide and per-entity, as schema hooks are),
// interceptors or privacy rules, even ones that would deny every write and
// query, and records no event.
func TestRunBypassesApplicationCode(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		b := setup(t, db)
		sampleHistory(t, b.ctx, b.client)
		before, events := b.dump(t), b.eventCount(t)

		var hooks, userHooks, queries atomic.Int64
		b.client.Use(func(next entgo.Mutator) entgo.Mutator {
			return entgo.MutateFunc(func(ctx context.Context, m entgo.Mutation) (entgo.Value, error) {
				hooks.Add(1)
				return next.Mutate(ctx, m)
			})
		})
		b.client.User.Use(func(next entgo.Mutator) entgo.Mutator {
			return entgo.MutateFunc(func(ctx context.Context, m entgo.Mutation) (entgo.Value, error) {
				userHooks.Add(1)
				return next.Mutate(ctx, m)
			})
		})
		// A privacy rule denying every write, installed the way ent's privacy
		// feature installs policies: as a hook.
		deny := privacy.MutationPolicy{privacy.AlwaysDenyRule()}
		b.client.Use(func(next entgo.Mutator) entgo.Mutator {
			return entgo.MutateFunc(func(ctx context.Context, m entgo.Mutation) (entgo.Value, error) {
				if err := deny.EvalMutation(ctx, m); err != nil {
					return nil, err
				}
				return next.Mutate(ctx, m)
			})
		})
		b.client.Intercept(entgo.InterceptFunc(func(next entgo.Querier) entgo.Querier {
			return entgo.QuerierFunc(func(ctx context.Context, q entgo.Query) (entgo.Value, error) {
				queries.Add(1)
				return nil, privacy.Denyf("no reads")
			})
		}))
		// The application is locked down.
		_, err := b.client.User.Create().SetName("Eve").SetEmail("eve@x").Save(b.ctx)
		require.ErrorIs(t, err, privacy.Deny)
		_, err = b.client.User.Query().All(b.ctx)
		require.ErrorIs(t, err, privacy.Deny)
		hooks.Store(0)
		userHooks.Store(0)
		queries.Store(0)

		require.NoError(t, replay.Run(b.ctx, b.client))
		require.Equal(t, before, b.dump(t))
		require.Equal(t, events, b.eventCount(t))
		require.Zero(t, hooks.Load())
		require.Zero(t, userHooks.Load())
		require.Zero(t, queries.Load())
	})
}

// TestRunContextIsReplaying shows that the clear function and route handlers
// get a context for which entevents.IsReplaying is true, that the mutations of a
// handler run the application's hooks, and that they record no event.
func TestRunContextIsReplaying(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		b := setup(t, db)
		sampleHistory(t, b.ctx, b.client)
		events := b.eventCount(t)
		var hookCalls, hookReplaying atomic.Int64
		b.client.Tag.Use(func(next entgo.Mutator) entgo.Mutator {
			return entgo.MutateFunc(func(ctx context.Context, m entgo.Mutation) (entgo.Value, error) {
				hookCalls.Add(1)
				if entevents.IsReplaying(ctx) {
					hookReplaying.Add(1)
				}
				return next.Mutate(ctx, m)
			})
		})
		require.False(t, entevents.IsReplaying(b.ctx))
		var cleared, handled bool
		err := replay.Run(b.ctx, b.client,
			replay.ClearWith(func(ctx context.Context, c *ent.Client) error {
				cleared = entevents.IsReplaying(ctx)
				return replay.ClearTracked(ctx, c)
			}),
			replay.Route(replay.Match{Entity: "Tag", Action: "create"},
				replay.Handler(func(ctx context.Context, c *ent.Client, ev *replay.Event) error {
					handled = entevents.IsReplaying(ctx)
					f, err := replay.Fields[struct {
						Name string `json:"name"`
					}](ev)
					if err != nil {
						return err
					}
					id, err := replay.RecordID[int](ev)
					if err != nil {
						return err
					}
					// ent has no SetID for auto-increment ids: the record is
					// created without hooks by Apply, then changed with the
					// client, through the hooks.
					if err := ev.Apply(ctx); err != nil {
						return err
					}
					return c.Tag.UpdateOneID(id).SetName(strings.ToUpper(f.Name)).Exec(ctx)
				})),
		)
		require.NoError(t, err)
		require.True(t, cleared)
		require.True(t, handled)
		require.EqualValues(t, 2, hookCalls.Load(), "the handler's updates run the hooks")
		require.EqualValues(t, 2, hookReplaying.Load())
		require.Equal(t, events, b.eventCount(t), "no event recorded")
		names, err := b.client.Tag.Query().Order(ent.Asc("id")).Select("name").Strings(b.ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"GO", "SQL"}, names)
	})
}
