package replay_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/replay"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/internal/fixture"
)

// userV1 is the data of a User create at version 1, before full_name was
// replaced by name (the example schema is at create version 2).
type userV1 struct {
	FullName   string    `json:"full_name"`
	Email      string    `json:"email"`
	CreateTime time.Time `json:"create_time"`
	UpdateTime time.Time `json:"update_time"`
}

// legacyUserCreate is the route handler for version 1 user creates: it maps
// full_name to name and applies the event.
func legacyUserCreate(ctx context.Context, c *ent.Client, ev *replay.Event) error {
	v1, err := replay.Fields[userV1](ev)
	if err != nil {
		return err
	}
	d, err := ev.Document()
	if err != nil {
		return err
	}
	delete(d.Fields, "full_name")
	if d.Fields["name"], err = json.Marshal(strings.TrimSpace(v1.FullName)); err != nil {
		return err
	}
	if err := ev.SetDocument(d); err != nil {
		return err
	}
	// Apply writes the record with its original id and without hooks; ent's
	// builders cannot choose an auto-increment id.
	return ev.Apply(ctx)
}

var legacyRoute = replay.Route(
	replay.Match{Entity: "User", Action: "create", Versions: []int{1}},
	replay.Handler(legacyUserCreate),
)

// insertLegacyUser writes the events of a user created at version 1 and
// updated later, as an older version of the application would have.
func (b *testBundle) insertLegacyUser(t *testing.T, id string, created time.Time) {
	t.Helper()
	data, err := json.Marshal(map[string]any{"fields": map[string]any{
		"full_name": " Grace Hopper ", "email": "grace@x", "create_time": created, "update_time": created,
		"role": "member", "karma": 0, "quota": 0, "score": 0,
	}})
	require.NoError(t, err)
	b.insertEvent(t, map[string]any{"record_id": id, "version": 1, "data": string(data), "occurred_at": created})
	b.insertEvent(t, map[string]any{
		"record_id": id, "action": "update", "action_type": "update",
		"data": `{"fields":{"age":85,"update_time":"2024-01-02T00:00:00Z"}}`,
	})
}

func TestRunRoutes(t *testing.T) {
	t.Parallel()
	created := time.Date(2020, 1, 1, 12, 0, 0, 0, time.UTC)

	t.Run("LegacyVersionHandler", func(t *testing.T) {
		t.Parallel()
		fixture.Each(t, func(t *testing.T, db *fixture.DB) {
			b := setup(t, db)
			b.client.User.Create().SetName("Ada").SetEmail("ada@x").ExecX(b.ctx)
			b.insertLegacyUser(t, "7", created)

			// Version 1 is not newer than the schema: without a route the data is
			// applied as it is, and full_name is no field of User.
			before := b.dump(t)
			err := replay.Run(b.ctx, b.client)
			var ee *entevents.EventError
			require.ErrorAs(t, err, &ee)
			require.ErrorIs(t, err, entevents.ErrDecode)
			require.Equal(t, "full_name", ee.Field)
			require.Equal(t, 1, ee.Version)
			require.Equal(t, before, b.dump(t))

			require.NoError(t, replay.Run(b.ctx, b.client, legacyRoute))
			u := b.client.User.GetX(b.ctx, 7)
			require.Equal(t, "Grace Hopper", u.Name)
			require.Equal(t, 85, *u.Age)
			require.True(t, created.Equal(u.CreateTime))
			require.Equal(t, "Ada", b.client.User.GetX(b.ctx, 1).Name)
			// The next user gets an id past the legacy one.
			require.Greater(t, b.client.User.Create().SetName("Eve").SetEmail("eve@x").SaveX(b.ctx).ID, 7)
		})
	})

	t.Run("NewerVersion", func(t *testing.T) {
		t.Parallel()
		fixture.Each(t, func(t *testing.T, db *fixture.DB) {
			b := setup(t, db)
			sampleHistory(t, b.ctx, b.client)
			want := b.dump(t)
			id := b.insertEvent(t, map[string]any{"record_id": "50", "version": 3, "data": `{"fields":{"name":"x","email":"x@x"}}`})
			err := replay.Run(b.ctx, b.client)
			require.ErrorIs(t, err, replay.ErrUnknownVersion)
			var ee *entevents.EventError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, &entevents.EventError{EventID: id, Entity: "User", Action: "create", Version: 3, Err: ee.Err}, ee)
			require.Equal(t, want, b.dump(t))

			// A route without targets skips the events it matches.
			require.NoError(t, replay.Run(b.ctx, b.client, replay.Route(replay.Match{Entity: "User", Versions: []int{3, 4}})))
			require.Equal(t, want, b.dump(t))
		})
	})

	t.Run("ApplyAsRenamedEntity", func(t *testing.T) {
		t.Parallel()
		fixture.Each(t, func(t *testing.T, db *fixture.DB) {
			b := setup(t, db)
			b.insertEvent(t, map[string]any{"entity": "Label", "record_id": "3", "data": `{"fields":{"name":"old"}}`})
			b.insertEvent(t, map[string]any{"entity": "Label", "record_id": "3", "action": "rename", "action_type": "update", "data": `{"fields":{"name":"older"}}`})
			b.client.Tag.Create().SetName("new").ExecX(b.ctx)

			err := replay.Run(b.ctx, b.client)
			require.ErrorIs(t, err, replay.ErrUnknownEntity)

			var seen []string
			err = replay.Run(b.ctx, b.client, replay.Route(replay.Match{Entity: "Label"},
				replay.ApplyAs("Tag", ""),
				replay.Handler(func(ctx context.Context, c *ent.Client, ev *replay.Event) error {
					// Targets run in order: the tag is already written.
					name := c.Tag.GetX(ctx, 3).Name
					seen = append(seen, ev.Action+":"+name)
					return nil
				}),
			))
			require.NoError(t, err)
			require.Equal(t, []string{"create:old", "rename:older"}, seen)
			names, err := b.client.Tag.Query().Order(ent.Asc("id")).Select("name").Strings(b.ctx)
			require.NoError(t, err)
			require.Equal(t, []string{"new", "older"}, names)
		})
	})

	t.Run("HandlerEventHoldsTheRow", func(t *testing.T) {
		t.Parallel()
		fixture.Each(t, func(t *testing.T, db *fixture.DB) {
			b := setup(t, db)
			ctx := entevents.WithMetadata(entevents.WithActor(b.ctx, entevents.System("importer")), map[string]any{"request": "r1"})
			tag := b.client.Tag.Create().SetName("a").SaveX(ctx)
			// Read in the same page as the first: nothing of the first carries over.
			plain := b.client.Tag.Create().SetName("b").SaveX(b.ctx)
			stored := b.client.Event.Query().Order(ent.Asc("id")).AllX(b.ctx)
			require.Len(t, stored, 2)
			var got []*replay.Event
			err := replay.Run(b.ctx, b.client, replay.Route(replay.Match{Entity: "Tag"},
				replay.Handler(func(ctx context.Context, c *ent.Client, ev *replay.Event) error {
					got = append(got, ev)
					return ev.Apply(ctx)
				})))
			require.NoError(t, err)
			require.Len(t, got, 2)
			for i, want := range []struct {
				id       int
				metadata string
				actors   map[string]any
			}{{tag.ID, `{"request":"r1"}`, map[string]any{"system_actor": "importer"}}, {plain.ID, `{}`, nil}} {
				ev, st := got[i], stored[i]
				require.Equal(t, int64(st.ID), ev.ID)
				require.Equal(t, strconv.Itoa(want.id), ev.RecordID)
				require.Equal(t, []string{"Tag", "create", "create"}, []string{ev.Entity, ev.Action, ev.ActionType})
				require.Equal(t, 1, ev.Version)
				require.Equal(t, []string{"name"}, ev.ChangedFields)
				require.JSONEq(t, want.metadata, string(ev.Metadata))
				require.Equal(t, want.actors, ev.Actors)
				require.True(t, st.OccurredAt.Equal(ev.OccurredAt))
				require.JSONEq(t, string(st.Data), string(ev.Data))
			}
		})
	})

	t.Run("FirstMatchingRouteWins", func(t *testing.T) {
		t.Parallel()
		fixture.Each(t, func(t *testing.T, db *fixture.DB) {
			b := setup(t, db)
			b.client.Tag.Create().SetName("a").ExecX(b.ctx)
			var got []string
			handler := func(name string) replay.Target {
				return replay.Handler(func(ctx context.Context, c *ent.Client, ev *replay.Event) error {
					got = append(got, name)
					return ev.Apply(ctx)
				})
			}
			err := replay.Run(b.ctx, b.client,
				replay.Route(replay.Match{Entity: "Tag", Action: "create", Versions: []int{1}}, handler("first")),
				replay.Route(replay.Match{Entity: "Tag"}, handler("second")),
			)
			require.NoError(t, err)
			require.Equal(t, []string{"first"}, got)
			require.Equal(t, 1, b.client.Tag.Query().CountX(b.ctx))
		})
	})

	t.Run("InvalidRoutes", func(t *testing.T) {
		t.Parallel()
		fixture.Each(t, func(t *testing.T, db *fixture.DB) {
			b := setup(t, db)
			sampleHistory(t, b.ctx, b.client)
			want := b.dump(t)
			for _, tc := range []struct {
				opt  replay.Option
				want error
			}{
				{replay.Route(replay.Match{Entity: "User"}, replay.Handler(func(context.Context, *ent.Tx, *replay.Event) error { return nil })), replay.ErrClientType},
				{replay.ClearWith(func(context.Context, *ent.Tx) error { return nil }), replay.ErrClientType},
				{replay.Route(replay.Match{Entity: "User"}, replay.ApplyAs("Nope", "create")), replay.ErrOption},
				{replay.Route(replay.Match{}), replay.ErrOption},
				{replay.PageSize(0), replay.ErrOption},
			} {
				require.ErrorIs(t, replay.Run(b.ctx, b.client, tc.opt), tc.want)
			}
			require.Equal(t, want, b.dump(t))
		})
	})
}
