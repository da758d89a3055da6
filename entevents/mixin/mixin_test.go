package mixin_test

import (
	"context"
	"testing"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/entevents/mixin"
)

func TestVersionsMerge(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		base  mixin.Versions
		other schema.Annotation
		want  mixin.Versions
	}{
		{"Disjoint", mixin.Versions{"create": 2}, mixin.Versions{"update": 3}, mixin.Versions{"create": 2, "update": 3}},
		{"OtherWins", mixin.Versions{"create": 1, "delete": 4}, mixin.Versions{"create": 2}, mixin.Versions{"create": 2, "delete": 4}},
		{"Pointer", mixin.Versions{"create": 1}, &mixin.Versions{"create": 5}, mixin.Versions{"create": 5}},
		{"NilBase", nil, mixin.Versions{"x": 1}, mixin.Versions{"x": 1}},
		{"NilPointer", mixin.Versions{"create": 1}, (*mixin.Versions)(nil), mixin.Versions{"create": 1}},
		{"OtherAnnotation", mixin.Versions{"create": 1}, mixin.Ignore("x"), mixin.Versions{"create": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := len(tc.base)
			got := tc.base.Merge(tc.other)
			require.Equal(t, tc.want, got)
			require.Len(t, tc.base, before, "the receiver is not modified")
			require.Equal(t, mixin.VersionsName, got.Name())
		})
	}
}

func TestIgnoreOnlyMerge(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		base, more []string
		want       []string
	}{
		{"Union", []string{"a", "b"}, []string{"c"}, []string{"a", "b", "c"}},
		{"NoDuplicates", []string{"a", "b"}, []string{"b", "a", "d"}, []string{"a", "b", "d"}},
		{"Empty", nil, []string{"x"}, []string{"x"}},
		{"BothEmpty", nil, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ig := mixin.Ignore(tc.base...).Merge(mixin.Ignore(tc.more...)).(mixin.IgnoreAnnotation)
			require.Equal(t, tc.want, ig.Actions)
			require.Equal(t, mixin.IgnoreName, ig.Name())
			only := mixin.Only(tc.base...).Merge(mixin.Only(tc.more...)).(mixin.OnlyAnnotation)
			require.Equal(t, tc.want, only.Actions)
			require.Equal(t, mixin.OnlyName, only.Name())
		})
	}
	// Other annotations leave them as they are.
	require.Equal(t, []string{"a"}, mixin.Ignore("a").Merge(mixin.Only("b")).(mixin.IgnoreAnnotation).Actions)
	require.Equal(t, []string{"a"}, mixin.Only("a").Merge(mixin.Versions{}).(mixin.OnlyAnnotation).Actions)
}

type fieldInfo struct {
	typ                           field.Type
	optional, nillable, immutable bool
	sensitive                     bool
}

func fieldsOf(l mixin.EventLog) (names []string, info map[string]fieldInfo) {
	info = map[string]fieldInfo{}
	for _, f := range l.Fields() {
		d := f.Descriptor()
		names = append(names, d.Name)
		info[d.Name] = fieldInfo{d.Info.Type, d.Optional, d.Nillable, d.Immutable, d.Sensitive}
	}
	return names, info
}

func TestEventLogFields(t *testing.T) {
	t.Parallel()
	base := []string{"id", "record_id", "entity", "action", "action_type", "version", "data", "changed_fields",
		"metadata", "encrypted_data", "encrypted_metadata", "occurred_at"}
	cases := []struct {
		name   string
		log    mixin.EventLog
		id     field.Type
		record field.Type
		actors map[string]field.Type
	}{
		{"Defaults", mixin.EventLog{}, field.TypeInt64, field.TypeString, nil},
		{"UUIDv7", mixin.EventLog{IDType: mixin.IDUUIDv7}, field.TypeUUID, field.TypeString, nil},
		{"RecordUUID", mixin.EventLog{RecordIDType: mixin.RecordIDUUID}, field.TypeInt64, field.TypeUUID, nil},
		{"RecordInt64", mixin.EventLog{RecordIDType: mixin.RecordIDInt64}, field.TypeInt64, field.TypeInt64, nil},
		{"Actors", mixin.EventLog{Actors: []mixin.Actor{
			mixin.EntityActor("user_id", "User"),
			mixin.SystemActor("system_actor"),
			{Column: "org_id", Entity: "Org", Type: mixin.ActorUUID},
			{Column: "tenant", Entity: "Tenant", Type: mixin.ActorString},
			{Column: "plain"},
		}}, field.TypeInt64, field.TypeString, map[string]field.Type{
			"user_id": field.TypeInt64, "system_actor": field.TypeString, "org_id": field.TypeUUID,
			"tenant": field.TypeString, "plain": field.TypeString,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			names, info := fieldsOf(tc.log)
			require.Equal(t, base, names[:len(base)])
			require.Len(t, names, len(base)+len(tc.actors))
			require.Equal(t, tc.id, info["id"].typ)
			require.Equal(t, tc.record, info["record_id"].typ)
			for _, n := range names {
				require.True(t, info[n].immutable, "%s is immutable", n)
			}
			for _, n := range []string{"data", "metadata"} {
				require.Equal(t, field.TypeJSON, info[n].typ)
				require.True(t, info[n].optional, "%s is NULL when encrypted", n)
			}
			for _, n := range []string{"encrypted_data", "encrypted_metadata"} {
				require.Equal(t, fieldInfo{field.TypeBytes, true, true, true, true}, info[n])
			}
			require.Equal(t, field.TypeEnum, info["action_type"].typ)
			require.Equal(t, field.TypeTime, info["occurred_at"].typ)
			for col, typ := range tc.actors {
				require.Equal(t, fieldInfo{typ, true, true, true, false}, info[col], col)
			}

			var la mixin.LogAnnotation
			var table string
			for _, a := range tc.log.Annotations() {
				switch a := a.(type) {
				case mixin.LogAnnotation:
					la = a
				case entsql.Annotation:
					table = a.Table
				}
			}
			require.Equal(t, "events", table)
			require.NotEmpty(t, la.IDType)
			require.NotEmpty(t, la.RecordIDType)
			require.Len(t, la.Actors, len(tc.actors))
			for _, a := range la.Actors {
				require.NotEmpty(t, a.Type, "actor types are resolved for the generator")
			}

			// Indexes: what the read side needs.
			var idx [][]string
			for _, i := range tc.log.Indexes() {
				idx = append(idx, i.Descriptor().Fields)
			}
			require.Contains(t, idx, []string{"entity", "record_id"})
			require.Contains(t, idx, []string{"occurred_at"})
			for col := range tc.actors {
				require.Contains(t, idx, []string{col})
			}
			for _, i := range tc.log.Indexes() {
				d := i.Descriptor()
				if len(d.Fields) != 1 {
					continue
				}
				if _, actor := tc.actors[d.Fields[0]]; !actor {
					continue
				}
				var where string
				for _, a := range d.Annotations {
					if ia, ok := a.(*entsql.IndexAnnotation); ok {
						where = ia.Where
					}
				}
				require.Equal(t, `"`+d.Fields[0]+`" IS NOT NULL`, where, "the index of actor column %s is partial", d.Fields[0])
			}
		})
	}
}

// opMutation is an ent.Mutation of a given op.
type opMutation struct {
	ent.Mutation
	op ent.Op
}

func (m opMutation) Op() ent.Op { return m.op }

// TestEventLogHook: events are append-only, and the hook hands the run-time
// options to the generated code's probe.
func TestEventLogHook(t *testing.T) {
	t.Parallel()
	key := int64(42)
	l := mixin.EventLog{LockKey: key, DisableLock: true, UnsafeStoreSensitivePlaintext: true}
	hooks := l.Hooks()
	require.Len(t, hooks, 1)

	probe := &eventlog.Probe{}
	require.Same(t, probe, hooks[0](probe))
	require.NotNil(t, probe.Options)
	require.Equal(t, key, probe.Options.LockKey)
	require.True(t, probe.Options.DisableLock)
	require.True(t, probe.Options.UnsafeStoreSensitivePlaintext)

	ran := 0
	next := ent.MutateFunc(func(context.Context, ent.Mutation) (ent.Value, error) {
		ran++
		return nil, nil
	})
	mut := hooks[0](next)
	for _, op := range []ent.Op{ent.OpUpdate, ent.OpUpdateOne} {
		_, err := mut.Mutate(context.Background(), opMutation{op: op})
		require.ErrorIs(t, err, mixin.ErrImmutableEvent)
	}
	require.Zero(t, ran)
	for _, op := range []ent.Op{ent.OpCreate, ent.OpDelete, ent.OpDeleteOne} {
		_, err := mut.Mutate(context.Background(), opMutation{op: op})
		require.NoError(t, err)
	}
	require.Equal(t, 3, ran, "creating and deleting (retention) events is allowed")
}

func TestTracked(t *testing.T) {
	t.Parallel()
	tr := mixin.Tracked{}
	require.Len(t, tr.Hooks(), 1)
	require.Empty(t, tr.Fields(), "tracking adds no fields")
	require.Equal(t, []schema.Annotation{mixin.TrackedAnnotation{}}, tr.Annotations())
	require.Equal(t, mixin.TrackedName, mixin.TrackedAnnotation{}.Name())
}
