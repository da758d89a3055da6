package eventlog

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type textNamed string

func (t textNamed) MarshalText() ([]byte, error) { return []byte("T:" + t), nil }

type jsonNamed string

func (j jsonNamed) MarshalJSON() ([]byte, error) { return []byte(`{"j":"` + j + `"}`), nil }

// TestAppendJSONMatchesMarshal pins the fast encoders to json.Marshal: the same
// bytes for every value they take, and no claim on the values they leave to it.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	t.Parallel()
	type named string
	est := time.FixedZone("EST", -5*3600)
	values := []any{
		"", "plain ascii", "quote\"", `back\slash`, "<html>&", "tab\t", "é", "\x7f", "\xff",
		true, false, 0, -1, math.MaxInt64, math.MinInt64, int8(-8), int16(300), int32(-70000),
		uint(7), uint8(255), uint16(65535), uint32(1 << 31), uint64(math.MaxUint64),
		0.0, -0.0, 1.5, 1e-7, 1e21, 123456789.125, 1e-6, 5e-324, math.MaxFloat64, float32(0.1), float32(1e22),
		math.NaN(), math.Inf(1),
		time.Date(2026, 11, 23, 17, 7, 11, 30625656, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, est),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 25*3600)),
		named("enum"), named("a<b"), textNamed("text"), jsonNamed("json"), []byte("bytes"), map[string]any{"a": 1}, nil,
	}
	for _, v := range values {
		want, wantErr := json.Marshal(v)
		got, ok := appendJSON([]byte("prefix"), v)
		if !ok {
			require.Equal(t, "prefix", string(got), "%#v: untouched when left to json.Marshal", v)
			continue
		}
		require.NoError(t, wantErr, "%#v: the fast path took a value json.Marshal refuses", v)
		require.Equal(t, "prefix"+string(want), string(got), "%#v", v)
	}
	for _, s := range []string{"plain", "<tag>", "ü"} {
		want, _ := json.Marshal(s)
		require.Equal(t, string(want), string(appendString(nil, s)))
	}
	for _, names := range [][]string{nil, {}, {"a"}, {"b", "a&"}} {
		want, _ := json.Marshal(names)
		if names == nil {
			want = []byte("[]")
		}
		require.Equal(t, string(want), string(AppendStrings(nil, names)))
	}
}

// TestDataAppendJSONMatchesMarshal compares Data.AppendJSON with json.Marshal on
// random documents.
func TestDataAppendJSONMatchesMarshal(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 9))
	names := []string{"name", "age", "a&b", "z", "é", "tags", "author"}
	raw := func() json.RawMessage {
		b, _ := json.Marshal([]any{rng.Int64(), "s<", rng.Float64(), true, nil, map[string]any{"k": []int{1}}}[rng.IntN(6)])
		return b
	}
	rawMap := func() map[string]json.RawMessage {
		if rng.IntN(3) == 0 {
			return nil
		}
		m := map[string]json.RawMessage{}
		for range rng.IntN(4) {
			m[names[rng.IntN(len(names))]] = raw()
		}
		return m
	}
	list := func() []string {
		var l []string
		for range rng.IntN(3) {
			l = append(l, names[rng.IntN(len(names))])
		}
		return l
	}
	raws := func() []json.RawMessage {
		var l []json.RawMessage
		for range rng.IntN(3) {
			l = append(l, raw())
		}
		return l
	}
	for range 2000 {
		d := &Data{Fields: rawMap(), Cleared: list(), Added: rawMap(), Redacted: list(), Upsert: rng.IntN(2) == 0}
		if rng.IntN(2) == 0 {
			d.Edges = map[string]*EdgeChange{}
			for range rng.IntN(3) {
				var c *EdgeChange
				if rng.IntN(5) > 0 {
					c = &EdgeChange{Added: raws(), Removed: raws(), Cleared: rng.IntN(2) == 0}
				}
				d.Edges[names[rng.IntN(len(names))]] = c
			}
		}
		want, err := json.Marshal(d)
		require.NoError(t, err)
		require.Equal(t, string(want), string(d.AppendJSON(nil)))
	}
}
