package eventlog_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/eventlog"
)

type (
	codecColor string
	codecDoc   struct {
		N     int64          `json:"n"`
		U     uint64         `json:"u"`
		F     float64        `json:"f"`
		B     []byte         `json:"b"`
		T     time.Time      `json:"t"`
		Any   map[string]any `json:"any,omitempty"`
		Inner *codecDoc      `json:"inner,omitempty"`
	}
)

// codecMutation is the part of ent.Mutation that EncodeMutation reads.
type codecMutation struct {
	ent.Mutation
	fields  map[string]ent.Value
	order   []string
	added   map[string]ent.Value
	cleared []string
	edges   map[string][3][]ent.Value // added, removed, (cleared if non-nil)
}

func (m *codecMutation) Fields() []string { return m.order }
func (m *codecMutation) Field(name string) (ent.Value, bool) {
	v, ok := m.fields[name]
	return v, ok
}
func (m *codecMutation) AddedFields() []string {
	var out []string
	for k := range m.added {
		out = append(out, k)
	}
	return out
}
func (m *codecMutation) AddedField(name string) (ent.Value, bool) {
	v, ok := m.added[name]
	return v, ok
}
func (m *codecMutation) ClearedFields() []string { return m.cleared }
func (m *codecMutation) edgeNames(i int) []string {
	var out []string
	for k, e := range m.edges {
		if e[i] != nil {
			out = append(out, k)
		}
	}
	return out
}
func (m *codecMutation) AddedEdges() []string               { return m.edgeNames(0) }
func (m *codecMutation) RemovedEdges() []string             { return m.edgeNames(1) }
func (m *codecMutation) ClearedEdges() []string             { return m.edgeNames(2) }
func (m *codecMutation) AddedIDs(name string) []ent.Value   { return m.edges[name][0] }
func (m *codecMutation) RemovedIDs(name string) []ent.Value { return m.edges[name][1] }

func set(name string, v ent.Value) *codecMutation {
	return &codecMutation{fields: map[string]ent.Value{name: v}, order: []string{name}}
}

// codecEntity has a field of every kind ent has.
func codecEntity() *eventlog.Entity {
	f := func(name string, typ field.Type, dec func(json.RawMessage) (any, error)) *eventlog.Field {
		return &eventlog.Field{Name: name, Column: name, Type: typ, Decode: dec}
	}
	add := func(fl *eventlog.Field, dec func(json.RawMessage) (any, error)) *eventlog.Field {
		fl.DecodeAdd = dec
		return fl
	}
	e := &eventlog.Entity{
		Name: "Thing", Table: "things", IDColumn: "id", IDType: field.TypeInt64, DecodeID: eventlog.Decoder[int64](),
		Fields: []*eventlog.Field{
			add(f("i64", field.TypeInt64, eventlog.Decoder[int64]()), eventlog.Decoder[int64]()),
			add(f("u64", field.TypeUint64, eventlog.Decoder[uint64]()), eventlog.Decoder[int64]()),
			add(f("i", field.TypeInt, eventlog.Decoder[int]()), eventlog.Decoder[int]()),
			add(f("i8", field.TypeInt8, eventlog.Decoder[int8]()), eventlog.Decoder[int8]()),
			add(f("u8", field.TypeUint8, eventlog.Decoder[uint8]()), eventlog.Decoder[int8]()),
			add(f("u32", field.TypeUint32, eventlog.Decoder[uint32]()), eventlog.Decoder[int32]()),
			add(f("f64", field.TypeFloat64, eventlog.Decoder[float64]()), eventlog.Decoder[float64]()),
			add(f("f32", field.TypeFloat32, eventlog.Decoder[float32]()), eventlog.Decoder[float32]()),
			f("s", field.TypeString, eventlog.Decoder[string]()),
			f("b", field.TypeBool, eventlog.Decoder[bool]()),
			f("t", field.TypeTime, eventlog.Decoder[time.Time]()),
			f("bytes", field.TypeBytes, eventlog.Decoder[[]byte]()),
			f("uuid", field.TypeUUID, eventlog.Decoder[uuid.UUID]()),
			f("enum", field.TypeEnum, eventlog.Decoder[codecColor]()),
			f("doc", field.TypeJSON, eventlog.JSONDecoder[codecDoc]()),
			f("map", field.TypeJSON, eventlog.JSONDecoder[map[string]any]()),
			f("ints", field.TypeJSON, eventlog.JSONDecoder[[]int64]()),
			f("raw", field.TypeJSON, eventlog.JSONDecoder[json.RawMessage]()),
			f("secret", field.TypeString, eventlog.Decoder[string]()),
		},
		Edges: []*eventlog.Edge{
			{Name: "owner", Target: "User", Unique: true, DecodeID: eventlog.Decoder[int]()},
			{Name: "owner_fk", Target: "User", Unique: true, Field: "i", DecodeID: eventlog.Decoder[int]()},
			{Name: "labels", Target: "Label", DecodeID: eventlog.Decoder[uuid.UUID]()},
		},
	}
	e.Fields[len(e.Fields)-1].Sensitive = true
	eventlog.NewBinding(&eventlog.Log{Table: "events"}, e)
	return e
}

// roundTrip encodes m, stores the document as JSON text and decodes it.
func roundTrip(t *testing.T, e *eventlog.Entity, m ent.Mutation) (*eventlog.Change, []string, []byte) {
	t.Helper()
	d, changed, err := e.EncodeMutation(m, false)
	require.NoError(t, err)
	raw, err := json.Marshal(d)
	require.NoError(t, err)
	c, err := e.DecodeData(raw)
	require.NoError(t, err, "%s", raw)
	return c, changed, raw
}

func TestCodecRoundTrip(t *testing.T) {
	t.Parallel()
	ist := time.FixedZone("IST", 5*3600+30*60)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	id := uuid.MustParse("0190a5c4-7f6e-7c3a-9d2b-1e2f3a4b5c6d")
	cases := []struct {
		name  string
		field string
		value any
	}{
		{"Int64Max", "i64", int64(math.MaxInt64)},
		{"Int64MaxMinus1", "i64", int64(math.MaxInt64 - 1)},
		{"Int64Min", "i64", int64(math.MinInt64)},
		{"Int64MinPlus1", "i64", int64(math.MinInt64 + 1)},
		{"Int64Beyond2^53", "i64", int64(1<<53 + 1)},
		{"Int64NegBeyond2^53", "i64", -int64(1<<53 + 1)},
		{"Uint64Max", "u64", uint64(math.MaxUint64)},
		{"Uint64MaxMinus1", "u64", uint64(math.MaxUint64 - 1)},
		{"Uint64HighBit", "u64", uint64(1 << 63)},
		{"Uint64Zero", "u64", uint64(0)},
		{"IntMax", "i", math.MaxInt},
		{"Int8Min", "i8", int8(math.MinInt8)},
		{"Uint8Max", "u8", uint8(math.MaxUint8)},
		{"Uint32Max", "u32", uint32(math.MaxUint32)},
		{"Float64Max", "f64", math.MaxFloat64},
		{"Float64Lowest", "f64", -math.MaxFloat64},
		{"Float64Tiny", "f64", math.SmallestNonzeroFloat64},
		{"Float64NegTiny", "f64", -math.SmallestNonzeroFloat64},
		{"Float64SmallestNormal", "f64", 2.2250738585072014e-308},
		{"Float64Tenth", "f64", 0.1},
		{"Float64Third", "f64", 1.0 / 3},
		{"Float64Exp21", "f64", 1e21},
		{"Float64Exp-7", "f64", 1e-7},
		{"Float64MaxSafeInt+1", "f64", float64(1<<53) + 2},
		{"Float64NegZero", "f64", math.Copysign(0, -1)},
		{"Float32Max", "f32", float32(math.MaxFloat32)},
		{"Float32Tenth", "f32", float32(0.1)},
		{"Float32Tiny", "f32", float32(math.SmallestNonzeroFloat32)},
		{"String", "s", "\"quotes\" \\ 名前 <>&\u2028\t\x00 ünï 🎉"},
		{"StringEmpty", "s", ""},
		{"Bool", "b", false},
		{"TimeNsUTC", "t", time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC)},
		{"TimeNsOffset", "t", time.Date(2024, 2, 29, 23, 59, 59, 123456789, ist)},
		{"TimeNegOffset", "t", time.Date(1969, 12, 31, 23, 59, 59, 1, time.FixedZone("", -(9*3600+30*60)))},
		{"TimeLocation", "t", time.Date(2024, 7, 4, 12, 0, 0, 5, ny)},
		{"TimeZero", "t", time.Time{}},
		{"TimeFarFuture", "t", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		{"BytesNil", "bytes", []byte(nil)},
		{"BytesEmpty", "bytes", []byte{}},
		{"BytesBinary", "bytes", []byte{0, 1, 0x7f, 0x80, 0xfe, 0xff}},
		{"UUID", "uuid", id},
		{"UUIDNil", "uuid", uuid.Nil},
		{"Enum", "enum", codecColor("red")},
		{"JSONStruct", "doc", codecDoc{N: math.MinInt64, U: math.MaxUint64, F: math.SmallestNonzeroFloat64, B: []byte{0, 255},
			T: time.Date(2001, 2, 3, 4, 5, 6, 7, ist), Inner: &codecDoc{N: 1<<53 + 1}}},
		{"JSONStructZero", "doc", codecDoc{}},
		{"JSONMap", "map", map[string]any{"big": json.Number("9223372036854775807"), "neg": json.Number("-9007199254740993"),
			"f": json.Number("1e-7"), "s": "x", "null": nil, "nested": []any{json.Number("18446744073709551615"), true}}},
		{"JSONMapNil", "map", map[string]any(nil)},
		{"JSONMapEmpty", "map", map[string]any{}},
		{"JSONSlice", "ints", []int64{math.MaxInt64, math.MinInt64, 0}},
		{"JSONSliceNil", "ints", []int64(nil)},
		{"JSONSliceEmpty", "ints", []int64{}},
		{"JSONRaw", "raw", json.RawMessage(`{"a":[1,2.50,"x"]}`)},
	}
	e := codecEntity()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, changed, raw := roundTrip(t, e, set(tc.field, tc.value))
			require.Equal(t, []string{tc.field}, changed)
			require.Len(t, c.Set, 1, "%s", raw)
			got := c.Set[0].Value
			require.Equal(t, tc.field, c.Set[0].Field.Name)
			require.IsType(t, tc.value, got, "%s", raw)
			switch want := tc.value.(type) {
			case time.Time:
				g := got.(time.Time)
				require.True(t, want.Equal(g), "want %s, got %s", want, g)
				require.Equal(t, want.Nanosecond(), g.Nanosecond())
				_, wo := want.Zone()
				_, goff := g.Zone()
				require.Equal(t, wo, goff, "zone offset")
			case codecDoc:
				// Times inside: the same instant and offset (a zone's name is not JSON).
				g := got.(codecDoc)
				require.True(t, want.T.Equal(g.T))
				want.T, g.T = time.Time{}, time.Time{}
				require.Equal(t, want, g)
			case float64:
				require.Equal(t, math.Float64bits(want), math.Float64bits(got.(float64)), "bit-identical, sign of zero included")
			default:
				require.Equal(t, tc.value, got, "%s", raw)
				if b, ok := tc.value.([]byte); ok {
					require.Equal(t, b == nil, got.([]byte) == nil, "nil and empty bytes stay apart")
				}
				if s, ok := tc.value.([]int64); ok {
					require.Equal(t, s == nil, got.([]int64) == nil, "nil and empty slices stay apart")
				}
				if mp, ok := tc.value.(map[string]any); ok {
					require.Equal(t, mp == nil, got.(map[string]any) == nil, "nil and empty maps stay apart")
				}
			}
			// Re-encoding the decoded value gives the same JSON: replay writes it back
			// as it was.
			again, _, _ := roundTrip(t, e, set(tc.field, got))
			require.Equal(t, c.Set[0].Value, again.Set[0].Value)
		})
	}
}

// TestCodecNotRepresentable: values JSON cannot carry fail with an error that names
// the entity and the field.
func TestCodecNotRepresentable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		m    *codecMutation
		fld  string
	}{
		{"NaN", set("f64", math.NaN()), "f64"},
		{"PosInf", set("f64", math.Inf(1)), "f64"},
		{"NegInf", set("f64", math.Inf(-1)), "f64"},
		{"Float32Inf", set("f32", float32(math.Inf(1))), "f32"},
		{"AddedNaN", &codecMutation{added: map[string]ent.Value{"f64": math.NaN()}}, "f64"},
		{"InJSON", set("doc", codecDoc{F: math.Inf(1)}), "doc"},
		{"InvalidUTF8", set("s", "ok\xffno"), "s"},
		{"InvalidUTF8Enum", set("enum", codecColor("\xc3")), "enum"},
		{"UnknownField", set("nope", 1), "nope"},
	}
	e := codecEntity()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := e.EncodeMutation(tc.m, false)
			require.Error(t, err)
			var me *eventlog.MutationError
			require.ErrorAs(t, err, &me)
			require.Equal(t, "Thing", me.Entity)
			require.Equal(t, tc.fld, me.Field)
			require.Contains(t, err.Error(), `"`+tc.fld+`"`)
			if tc.name != "UnknownField" {
				require.ErrorIs(t, err, eventlog.ErrEncode)
			}
		})
	}
}

func TestCodecDocument(t *testing.T) {
	t.Parallel()
	e := codecEntity()
	l1, l2, l3 := uuid.MustParse("00000000-0000-0000-0000-000000000002"), uuid.MustParse("00000000-0000-0000-0000-000000000001"), uuid.New()
	m := &codecMutation{
		fields:  map[string]ent.Value{"s": "x", "secret": "hunter2", "i": 7},
		order:   []string{"secret", "s", "i"},
		added:   map[string]ent.Value{"u64": int64(-3), "f64": 0.5},
		cleared: []string{"t", "bytes"},
		edges: map[string][3][]ent.Value{
			"owner":    {{10}, nil, {}},
			"owner_fk": {{7}, nil, nil},
			"labels":   {{l1, l2}, {l3}, nil},
		},
	}
	d, changed, err := e.EncodeMutation(m, false)
	require.NoError(t, err)
	require.Equal(t, []string{"bytes", "f64", "i", "labels", "owner", "s", "secret", "t", "u64"}, changed,
		"sorted; an edge with an edge field is carried by the field")
	raw, err := json.Marshal(d)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "hunter2")
	require.JSONEq(t, `{
		"fields": {"s": "x", "i": 7},
		"added": {"u64": -3, "f64": 0.5},
		"cleared": ["t", "bytes"],
		"edges": {
			"owner": {"added": [10], "cleared": true},
			"labels": {"added": ["`+l2.String()+`", "`+l1.String()+`"], "removed": ["`+l3.String()+`"]}
		},
		"redacted": ["secret"]
	}`, string(raw))

	c, err := e.DecodeData(raw)
	require.NoError(t, err)
	require.Equal(t, []string{"secret"}, c.Redacted)
	names := func(fvs []eventlog.FieldValue) map[string]any {
		out := map[string]any{}
		for _, fv := range fvs {
			out[fv.Field.Name] = fv.Value
		}
		return out
	}
	require.Equal(t, map[string]any{"s": "x", "i": 7}, names(c.Set))
	require.Equal(t, map[string]any{"u64": int64(-3), "f64": 0.5}, names(c.Added), "a delta of a uint64 field is an int64, as AddField takes it")
	require.Len(t, c.Cleared, 2)
	require.Len(t, c.Edges, 2)
	for _, op := range c.Edges {
		switch op.Edge.Name {
		case "owner":
			require.Equal(t, []any{10}, op.Added)
			require.True(t, op.Cleared)
		case "labels":
			require.Equal(t, []any{l2, l1}, op.Added)
			require.Equal(t, []any{l3}, op.Removed)
			require.False(t, op.Cleared)
		}
	}

	// With sensitive values included.
	d, _, err = e.EncodeMutation(m, true)
	require.NoError(t, err)
	require.Empty(t, d.Redacted)
	require.JSONEq(t, `"hunter2"`, string(d.Fields["secret"]))
}

// TestCodecBadDocuments: corrupt data is an ErrDecode that names the field.
func TestCodecBadDocuments(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, doc, field string
	}{
		{"NotJSON", `{"fields":`, ""},
		{"Trailing", `{} {}`, ""},
		{"UnknownKey", `{"fieldz":{}}`, ""},
		{"UnknownField", `{"fields":{"nope":1}}`, "nope"},
		{"UnknownAdded", `{"added":{"nope":1}}`, "nope"},
		{"UnknownCleared", `{"cleared":["nope"]}`, "nope"},
		{"UnknownEdge", `{"edges":{"nope":{"added":[1]}}}`, "nope"},
		{"WrongType", `{"fields":{"i64":"12"}}`, "i64"},
		{"Overflow", `{"fields":{"i64":9223372036854775808}}`, "i64"},
		{"NegativeUint", `{"fields":{"u64":-1}}`, "u64"},
		{"Fraction", `{"fields":{"i":1.5}}`, "i"},
		{"NullInt", `{"fields":{"i64":null}}`, "i64"},
		{"NullTime", `{"fields":{"t":null}}`, "t"},
		{"NullUUID", `{"fields":{"uuid":null}}`, "uuid"},
		{"NullStruct", `{"fields":{"doc":null}}`, "doc"},
		{"BadTime", `{"fields":{"t":"yesterday"}}`, "t"},
		{"BadUUID", `{"fields":{"uuid":"not-a-uuid"}}`, "uuid"},
		{"BadBase64", `{"fields":{"bytes":"***"}}`, "bytes"},
		{"AddToString", `{"added":{"s":"x"}}`, "s"},
		{"AddOverflow", `{"added":{"u8":200}}`, "u8"},
		{"BadEdgeID", `{"edges":{"labels":{"added":[1]}}}`, "labels"},
		{"JSONTrailing", `{"fields":{"ints":[1] }}`, ""},
	}
	e := codecEntity()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.DecodeData([]byte(tc.doc))
			if tc.name == "JSONTrailing" {
				require.NoError(t, err, "whitespace is not trailing data")
				return
			}
			require.ErrorIs(t, err, eventlog.ErrDecode)
			require.Equal(t, tc.field, eventlog.FieldOf(err))
			if tc.field != "" {
				require.Contains(t, err.Error(), `"`+tc.field+`"`)
			}
		})
	}

	// Null where nil is a value decodes to nil.
	c, err := e.DecodeData([]byte(`{"fields":{"bytes":null,"map":null,"ints":null}}`))
	require.NoError(t, err)
	require.Len(t, c.Set, 3)
	for _, fv := range c.Set {
		require.Nil(t, fv.Value, fv.Field.Name)
	}
}

func TestEntityActions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		versions map[string]int
		ignore   []string
		only     []string
		records  map[string]bool
		version  map[string]int
	}{
		{"Defaults", nil, nil, nil,
			map[string]bool{"create": true, "update": true, "delete": true, "register": true},
			map[string]int{"create": 1, "register": 1}},
		{"Versions", map[string]int{"create": 2, "register": 5}, nil, nil,
			map[string]bool{"create": true},
			map[string]int{"create": 2, "register": 5, "update": 1}},
		{"Ignore", nil, []string{"import_legacy", "sync"}, nil,
			map[string]bool{"create": true, "import_legacy": false, "sync": false, "update": true},
			nil},
		{"Only", nil, nil, []string{"register", "delete"},
			map[string]bool{"register": true, "delete": true, "create": false, "update": false},
			nil},
		{"IgnoreWinsOverOnly", nil, []string{"delete"}, []string{"register", "delete"},
			map[string]bool{"register": true, "delete": false, "create": false},
			nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &eventlog.Entity{Name: "X", Versions: tc.versions, Ignore: tc.ignore, Only: tc.only}
			for action, want := range tc.records {
				require.Equal(t, want, e.Records(action), action)
			}
			for action, want := range tc.version {
				require.Equal(t, want, e.Version(action), action)
			}
		})
	}
}

func TestRecordIDs(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	cases := []struct {
		name    string
		logType field.Type
		idType  field.Type
		decode  func(json.RawMessage) (any, error)
		id      any
		stored  any
	}{
		{"IntAsString", field.TypeString, field.TypeInt, eventlog.Decoder[int](), 42, "42"},
		{"Int64MaxAsString", field.TypeString, field.TypeInt64, eventlog.Decoder[int64](), int64(math.MaxInt64), "9223372036854775807"},
		{"Uint64MaxAsString", field.TypeString, field.TypeUint64, eventlog.Decoder[uint64](), uint64(math.MaxUint64), "18446744073709551615"},
		{"StringAsString", field.TypeString, field.TypeString, eventlog.Decoder[string](), "a/b \"c\"", "a/b \"c\""},
		{"UUIDAsString", field.TypeString, field.TypeUUID, eventlog.Decoder[uuid.UUID](), id, id.String()},
		{"UUIDAsUUID", field.TypeUUID, field.TypeUUID, eventlog.Decoder[uuid.UUID](), id, id},
		{"IntAsInt64", field.TypeInt64, field.TypeInt, eventlog.Decoder[int](), 42, int64(42)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			log := &eventlog.Log{RecordIDType: tc.logType}
			e := &eventlog.Entity{Name: "X", IDType: tc.idType, DecodeID: tc.decode}
			eventlog.NewBinding(log, e)
			stored, err := log.FormatRecordID(tc.id)
			require.NoError(t, err)
			require.Equal(t, tc.stored, stored)
			back, err := e.ParseRecordID(stored)
			require.NoError(t, err)
			require.Equal(t, tc.id, back)
		})
	}
	_, err := (&eventlog.Log{RecordIDType: field.TypeUUID}).FormatRecordID(1)
	require.Error(t, err)
	_, err = (&eventlog.Log{RecordIDType: field.TypeInt64}).FormatRecordID(uint64(math.MaxUint64))
	require.Error(t, err)
}
