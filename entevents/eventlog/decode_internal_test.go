package eventlog

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// TestFastPaths: the values of the types that generated code decodes, in the
// forms the recorder and PostgreSQL write, take the fast path (the differential
// tests check that it gives json.Unmarshal's result).
func TestFastPaths(t *testing.T) {
	t.Parallel()
	type role string
	cases := []struct {
		name string
		fast func([]byte) (any, bool)
		raws []string
	}{
		{"String", fastDecoder[string](), []string{`""`, `"Jane Doe"`, `"名前 🎉"`}},
		{"Enum", fastDecoder[role](), []string{`"admin"`}},
		{"Bool", fastDecoder[bool](), []string{`true`, `false`}},
		{"Int", fastDecoder[int](), []string{`0`, `-0`, `42`, `-9223372036854775808`}},
		{"Int8", fastDecoder[int8](), []string{`-128`, `127`}},
		{"Int64", fastDecoder[int64](), []string{`9223372036854775807`}},
		{"Uint64", fastDecoder[uint64](), []string{`18446744073709551615`}},
		{"Float64", fastDecoder[float64](), []string{`0.75`, `-0`, `1e21`, `-1.5e-7`, `0.0000001`, `1000000000000000000000`}},
		{"Float32", fastDecoder[float32](), []string{`0.1`}},
		{"Time", fastDecoder[time.Time](), []string{`"2024-05-06T07:08:09.123456789Z"`, `"2024-05-06T09:08:09+02:00"`}},
		{"Bytes", fastDecoder[[]byte](), []string{`"iVBORwABAgP/"`, `""`, `null`}},
		{"UUID", fastDecoder[uuid.UUID](), []string{`"0190a5c4-7f6e-7c3a-9d2b-1e2f3a4b5c6d"`}},
		{"TextUnmarshaler", fastDecoder[netip.Addr](), []string{`"127.0.0.1"`, `"::1"`}},
		{"JSONUnmarshaler", fastDecoder[json.RawMessage](), []string{`"x"`}},
		{"JSONMap", fastJSONDecoder[map[string]any](), []string{`{"a": [1, 2.50, "x", null, true, {}]}`, `null`}},
		{"JSONAny", fastJSONDecoder[any](), []string{`[1]`, `"x"`}},
		{"JSONStruct", fastJSONDecoder[struct{ A []string }](), []string{`{"A": ["x"]}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.NotNil(t, tc.fast)
			for _, raw := range tc.raws {
				_, ok := tc.fast([]byte(raw))
				require.True(t, ok, raw)
			}
		})
	}
	require.Nil(t, fastDecoder[*int](), "pointers are left to json.Unmarshal")
	require.Nil(t, fastDecoder[json.Number](), "json.Number is left to json.Unmarshal")
	require.Nil(t, fastJSONDecoder[struct{ A any }](), "interfaces hold json.Number: left to the json.Decoder")
}
