package replay

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/example/ent"
)

// encodeChange encodes a decoded change back into event data.
func encodeChange(t *testing.T, c *eventlog.Change) []byte {
	t.Helper()
	d := eventlog.Data{Redacted: c.Redacted, Upsert: c.Upsert}
	raw := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return b
	}
	for _, fv := range c.Set {
		if d.Fields == nil {
			d.Fields = map[string]json.RawMessage{}
		}
		d.Fields[fv.Field.Name] = raw(fv.Value)
	}
	for _, fv := range c.Added {
		if d.Added == nil {
			d.Added = map[string]json.RawMessage{}
		}
		d.Added[fv.Field.Name] = raw(fv.Value)
	}
	for _, f := range c.Cleared {
		d.Cleared = append(d.Cleared, f.Name)
	}
	for _, eo := range c.Edges {
		if d.Edges == nil {
			d.Edges = map[string]*eventlog.EdgeChange{}
		}
		ec := &eventlog.EdgeChange{Cleared: eo.Cleared}
		for _, id := range eo.Added {
			ec.Added = append(ec.Added, raw(id))
		}
		for _, id := range eo.Removed {
			ec.Removed = append(ec.Removed, raw(id))
		}
		d.Edges[eo.Edge.Name] = ec
	}
	return raw(d)
}

// FuzzDecodeEventData feeds the decoder of replay arbitrary event data for the
// entities of the example schema. It must never panic; it either fails with an
// *EventError naming the event (ErrDecode or ErrUnknownAction), or decodes the
// data into an op whose sqlgraph specs build, and whose change encodes back into
// data that decodes to the same change.
func FuzzDecodeEventData(f *testing.F) {
	seeds := []struct {
		entity, actionType, recordID, data string
	}{
		{"User", "create", "1", `{"fields":{"name":"Ada","email":"a@x","role":"admin","age":36,"karma":9223372036854775807,"quota":18446744073709551615,"score":-1.5e-7,"avatar":"AAH/","settings":{"theme":"dark","notifications":true,"languages":["en"]},"last_seen_at":"2024-02-29T23:59:59.123456789+05:30","create_time":"2024-01-01T00:00:00Z","update_time":"2024-01-01T00:00:00Z"},"redacted":["password_hash"]}`},
		{"User", "create", "2", `{"fields":{"name":"B","email":"b@x"},"cleared":["age","avatar"],"edges":{"posts":{"added":[1,2]},"profile":{"added":[3]}},"upsert":true}`},
		{"User", "update", "1", `{"fields":{"update_time":"2024-01-02T00:00:00Z"},"cleared":["age"],"added":{"karma":-3,"quota":-1,"score":0.25},"edges":{"posts":{"removed":[2],"cleared":true},"comments":{"added":["00000000-0000-4000-8000-000000000001"]},"profile":{"cleared":true}}}`},
		{"User", "delete", "1", `{}`},
		{"Post", "create", "7", `{"fields":{"title":"t","status":"draft","views":0,"attributes":{"n":9007199254740993,"f":1.5,"nested":[null,true,{"x":"é"}]},"author_id":1,"published_at":"2024-01-01T00:00:00.5-07:00"},"edges":{"tags":{"added":[1,2,3]}}}`},
		{"Post", "update", "7", `{"fields":{"status":"archived"},"cleared":["published_at","attributes","author_id"],"added":{"views":2},"edges":{"tags":{"removed":[1],"added":[4]},"comments":{"cleared":true}}}`},
		{"Comment", "create", "00000000-0000-4000-8000-000000000001", `{"fields":{"body":"hi","likes":-1,"created_at":"2024-01-01T00:00:00Z"},"edges":{"post":{"added":[7]},"author":{"added":[1]}}}`},
		{"Profile", "update", "3", `{"fields":{"bio":""},"cleared":["website"],"edges":{"user":{"added":[1]}}}`},
		{"Tag", "create", "1", `{"fields":{"name":"go"},"edges":{"posts":{"added":[7]}}}`},
		{"Tag", "create", "1", `{"fields":{"name":"go"},"added":{"name":"x"}}`},
		{"Tag", "update", "1", `{"fields":{"name":1}}`},
		{"Tag", "update", "x", `{}`},
		{"Tag", "frobnicate", "1", `{}`},
		{"User", "update", "1", `{"fields":{"age":1e400}}`},
		{"User", "update", "1", `{"edges":{"profile":{"added":[1,2]}}}`},
		{"User", "create", "1", `{"edges":{"posts":{"removed":[1]}}}`},
		{"Post", "update", "7", `{"fields":{"title":"a"}} trailing`},
		{"Post", "update", "7", `{"fields":null,"cleared":null,"edges":{"tags":null}}`},
		{"Post", "update", "7", `[`},
		{"Post", "update", "7", ``},
	}
	for _, s := range seeds {
		f.Add(s.entity, s.actionType, s.recordID, []byte(s.data))
	}
	b := ent.Entevents()
	f.Fuzz(func(t *testing.T, entity, actionType, recordID string, data []byte) {
		e := b.Entity(entity)
		if e == nil {
			return
		}
		r := ref{id: int64(42), entity: entity, action: actionType, version: 1}
		o, err := decodeOp(r, e, actionType, false, recordID, data)
		if err != nil {
			var ee *eventlog.EventError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, int64(42), ee.EventID)
			require.True(t, errors.Is(err, eventlog.ErrDecode) || errors.Is(err, ErrUnknownAction), "%v", err)
			return
		}
		require.NotNil(t, o.id)
		switch o.kind {
		case kindCreate, kindUpsert:
			spec := o.createSpec()
			require.Equal(t, e.Table, spec.Table)
		case kindUpdate:
			spec, _ := o.updateSpec([]driver.Value{o.id})
			require.Equal(t, e.Table, spec.Node.Table)
		case kindDelete:
			return
		}
		again, err := decodeOp(r, e, actionType, false, recordID, encodeChange(t, o.change))
		require.NoError(t, err)
		require.JSONEq(t, string(encodeChange(t, o.change)), string(encodeChange(t, again.change)))
	})
}
