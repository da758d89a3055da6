package history

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"entgo.io/ent/schema/field"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/internal/fixture"
)

func TestParseTime(t *testing.T) {
	t.Parallel()
	want := time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC)
	cet := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		name string
		in   any
		want time.Time
	}{
		{"time", want, want},
		{"time in a zone", want.In(cet), want},
		{"modernc default (String)", "2026-01-02 03:04:05.678901 +0000 UTC", want},
		{"String with monotonic reading", "2026-01-02 03:04:05.678901 +0000 UTC m=+0.000012345", want},
		{"String in a zone", "2026-01-02 04:04:05.678901 +0100 CET", want},
		{"modernc sqlite format", "2026-01-02 03:04:05.678901+00:00", want},
		{"RFC 3339", "2026-01-02T03:04:05.678901Z", want},
		{"RFC 3339 offset", "2026-01-02T04:04:05.678901+01:00", want},
		{"space and Z", "2026-01-02 03:04:05.678901Z", want},
		{"no zone is UTC", "2026-01-02 03:04:05.678901", want},
		{"no zone T", "2026-01-02T03:04:05.678901", want},
		{"bytes", []byte("2026-01-02 03:04:05.678901 +0000 UTC"), want},
		{"whole seconds", "2026-01-02 03:04:05 +0000 UTC", want.Truncate(time.Second)},
	} {
		got, err := parseTime(tc.in)
		require.NoError(t, err, tc.name)
		require.True(t, tc.want.Equal(got), "%s: %v", tc.name, got)
		require.Equal(t, time.UTC, got.Location(), tc.name)
	}
	for _, bad := range []any{nil, "yesterday", int64(5), "2026-13-02 03:04:05"} {
		_, err := parseTime(bad)
		require.Error(t, err, "%v", bad)
	}
}

func TestAdd(t *testing.T) {
	t.Parallel()
	intF := &eventlog.Field{Name: "n", Decode: eventlog.Decoder[int]()}
	uintF := &eventlog.Field{Name: "u", Decode: eventlog.Decoder[uint64]()}
	floatF := &eventlog.Field{Name: "f", Decode: eventlog.Decoder[float64]()}
	strF := &eventlog.Field{Name: "s", Decode: eventlog.Decoder[string]()}
	for _, tc := range []struct {
		f          *eventlog.Field
		old, delta any
		want       any
	}{
		{intF, 5, 3, 8},
		{intF, 5, -7, -2},
		{intF, nil, 4, 4},
		{uintF, uint64(10), int64(-3), uint64(7)},
		{uintF, nil, int64(3), uint64(3)},
		{uintF, uint64(1), uint64(2), uint64(3)},
		{floatF, 0.5, 1.25, 1.75},
		{floatF, nil, 2.0, 2.0},
		{&eventlog.Field{Name: "i64", Decode: eventlog.Decoder[int64]()}, int64(1 << 60), int64(5), int64(1<<60 + 5)},
	} {
		got, err := add(tc.f, tc.old, tc.delta)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "%v + %v", tc.old, tc.delta)
	}
	_, err := add(strF, "a", 1)
	require.ErrorIs(t, err, eventlog.ErrDecode)
	_, err = add(strF, nil, 1)
	require.ErrorIs(t, err, eventlog.ErrDecode)
}

func TestConversions(t *testing.T) {
	t.Parallel()
	type userID int
	type label string
	for _, in := range []any{42, int64(42), int32(42), uint8(42), userID(42), "42", []byte("42")} {
		n, err := toInt64(in)
		require.NoError(t, err, "%T", in)
		require.Equal(t, int64(42), n)
	}
	_, err := toInt64(uint64(1 << 63))
	require.Error(t, err)
	_, err = toInt64(1.5)
	require.Error(t, err)

	u := uuid.New()
	for _, in := range []any{u, [16]byte(u), u.String(), []byte(u.String()), u[:]} {
		got, err := toUUID(in)
		require.NoError(t, err, "%T", in)
		require.Equal(t, u, got)
	}
	_, err = toUUID(42)
	require.Error(t, err)

	v, err := actorArg(eventlog.ActorColumn{Column: "system_actor", Type: field.TypeString}, label("cron"))
	require.NoError(t, err)
	require.Equal(t, "cron", v)
	_, err = actorArg(eventlog.ActorColumn{Column: "system_actor", Type: field.TypeString}, 5)
	require.Error(t, err)
	v, err = actorArg(eventlog.ActorColumn{Column: "user_id", Type: field.TypeInt64}, userID(7))
	require.NoError(t, err)
	require.Equal(t, int64(7), v)
	v, err = actorArg(eventlog.ActorColumn{Column: "svc", Type: field.TypeUUID}, u.String())
	require.NoError(t, err)
	require.Equal(t, u, v)
	_, err = actorArg(eventlog.ActorColumn{Column: "user_id", Type: field.TypeInt64}, nil)
	require.Error(t, err)

	md, err := decodeMetadata([]byte(`{"n": 9007199254740993, "s": "x"}`))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"n": json.Number("9007199254740993"), "s": "x"}, md)
	md, err = decodeMetadata(nil)
	require.NoError(t, err)
	require.Equal(t, map[string]any{}, md)
	md, err = decodeMetadata([]byte("null"))
	require.NoError(t, err)
	require.Equal(t, map[string]any{}, md)
	_, err = decodeMetadata([]byte(`[1]`))
	require.Error(t, err)
}

// All reads page after page; a page boundary loses and repeats nothing.
func TestAllPages(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		c := db.Client
		for i := range 7 {
			c.Tag.Create().SetName(string(rune('a' + i))).SaveX(ctx)
		}
		every, err := Find(ctx, c, &Query{Entity: "Tag"})
		require.NoError(t, err)
		require.Len(t, every, 7)
		collect := func(q *Query, size int) []any {
			var out []any
			for ev, err := range all(ctx, c, q, size) {
				require.NoError(t, err)
				out = append(out, ev.ID)
			}
			return out
		}
		idsOf := func(evs []*Event) []any {
			out := make([]any, len(evs))
			for i, ev := range evs {
				out[i] = ev.ID
			}
			return out
		}
		for _, size := range []int{1, 2, 3, 7, 8} {
			require.Equal(t, idsOf(every), collect(&Query{Entity: "Tag"}, size), "page size %d", size)
			require.Equal(t, idsOf(every[2:6]), collect(&Query{Entity: "Tag", Page: Page{AfterID: every[1].ID, Limit: 4}}, size), "page size %d", size)
			require.Equal(t, []any{every[6].ID, every[5].ID, every[4].ID}, collect(&Query{Entity: "Tag", Page: Page{Desc: true, Limit: 3}}, size))
		}
		// Breaking out of the loop stops reading.
		n := 0
		for range all(ctx, c, &Query{Entity: "Tag"}, 2) {
			n++
			if n == 3 {
				break
			}
		}
		require.Equal(t, 3, n)
		// An invalid query yields its error once.
		var errs []error
		for ev, err := range All(ctx, c, &Query{RecordID: 1}) {
			require.Nil(t, ev)
			errs = append(errs, err)
		}
		require.Len(t, errs, 1)
		require.ErrorIs(t, errs[0], ErrInvalidQuery)
	})
}
