package eventlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	entgo "entgo.io/ent"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/post"
	"github.com/entevents/entevents/example/ent/schema"
	"github.com/entevents/entevents/example/ent/user"
	"github.com/entevents/entevents/internal/testdb"
)

// The reference: event data as it was decoded before the single-pass parser and
// the fast decoders, with encoding/json. The new code must give the same values
// and the same errors.

func refParseData(raw []byte) (*eventlog.Data, error) {
	var d eventlog.Data
	if len(raw) == 0 {
		return &d, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: data is not a valid event document: %v", eventlog.ErrDecode, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the event document", eventlog.ErrDecode)
	}
	return &d, nil
}

func refDecoder[T any]() func(json.RawMessage) (any, error) {
	null := refNullCheck[T]()
	return func(raw json.RawMessage) (any, error) {
		if err := null(raw); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		return v, nil
	}
}

func refJSONDecoder[T any]() func(json.RawMessage) (any, error) {
	null := refNullCheck[T]()
	return func(raw json.RawMessage) (any, error) {
		if err := null(raw); err != nil {
			return nil, err
		}
		var v T
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if dec.More() {
			return nil, errors.New("trailing data after JSON value")
		}
		return v, nil
	}
}

func refNullCheck[T any]() func(json.RawMessage) error {
	t := reflect.TypeFor[T]()
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return func(json.RawMessage) error { return nil }
	}
	return func(raw json.RawMessage) error {
		if string(bytes.TrimSpace(raw)) == "null" {
			return fmt.Errorf("null is not a value of type %s", t)
		}
		return nil
	}
}

// refDecode is Entity.Decode as it was.
func refDecode(e *eventlog.Entity, d *eventlog.Data) (*eventlog.Change, error) {
	c := &eventlog.Change{Redacted: d.Redacted, Upsert: d.Upsert}
	bad := func(name string, err error) error {
		return fmt.Errorf("field %q: %w", name, fmt.Errorf("%w: %v", eventlog.ErrDecode, err))
	}
	for name := range d.Fields {
		if e.Field(name) == nil {
			return nil, bad(name, fmt.Errorf("unknown field of %s", e.Name))
		}
	}
	for name := range d.Added {
		if e.Field(name) == nil {
			return nil, bad(name, fmt.Errorf("unknown field of %s", e.Name))
		}
	}
	for name := range d.Edges {
		if e.Edge(name) == nil {
			return nil, bad(name, fmt.Errorf("unknown edge of %s", e.Name))
		}
	}
	for _, f := range e.Fields {
		if raw, ok := d.Fields[f.Name]; ok {
			v, err := f.Decode(raw)
			if err != nil {
				return nil, bad(f.Name, err)
			}
			c.Set = append(c.Set, eventlog.FieldValue{Field: f, Value: v})
		}
		if raw, ok := d.Added[f.Name]; ok {
			if f.DecodeAdd == nil {
				return nil, bad(f.Name, errors.New("a delta (AddX) for a field that ent cannot add to"))
			}
			v, err := f.DecodeAdd(raw)
			if err != nil {
				return nil, bad(f.Name, err)
			}
			c.Added = append(c.Added, eventlog.FieldValue{Field: f, Value: v})
		}
	}
	for _, name := range d.Cleared {
		f := e.Field(name)
		if f == nil {
			return nil, bad(name, fmt.Errorf("unknown field of %s", e.Name))
		}
		c.Cleared = append(c.Cleared, f)
	}
	for _, ed := range e.Edges {
		ch, ok := d.Edges[ed.Name]
		if !ok || ch == nil {
			continue
		}
		op := eventlog.EdgeOp{Edge: ed, Cleared: ch.Cleared}
		for _, raw := range ch.Added {
			v, err := ed.DecodeID(raw)
			if err != nil {
				return nil, bad(ed.Name, err)
			}
			op.Added = append(op.Added, v)
		}
		for _, raw := range ch.Removed {
			v, err := ed.DecodeID(raw)
			if err != nil {
				return nil, bad(ed.Name, err)
			}
			op.Removed = append(op.Removed, v)
		}
		c.Edges = append(c.Edges, op)
	}
	return c, nil
}

// refEntity returns a copy of e whose values decode with the reference decoders,
// given by field (value and delta) and edge name.
func refEntity(t testing.TB, e *eventlog.Entity, fields map[string][2]func(json.RawMessage) (any, error), edges map[string]func(json.RawMessage) (any, error)) *eventlog.Entity {
	t.Helper()
	cp := &eventlog.Entity{Name: e.Name, Table: e.Table, IDColumn: e.IDColumn, IDType: e.IDType, DecodeID: e.DecodeID}
	for _, f := range e.Fields {
		dec, ok := fields[f.Name]
		require.True(t, ok, "no reference decoder for field %s", f.Name)
		c := *f
		c.Decode, c.DecodeAdd = dec[0], dec[1]
		require.Equal(t, f.DecodeAdd == nil, c.DecodeAdd == nil, "delta decoder of %s", f.Name)
		cp.Fields = append(cp.Fields, &c)
	}
	for _, ed := range e.Edges {
		dec, ok := edges[ed.Name]
		require.True(t, ok, "no reference decoder for edge %s", ed.Name)
		c := *ed
		c.DecodeID = dec
		cp.Edges = append(cp.Edges, &c)
	}
	eventlog.NewBinding(&eventlog.Log{}, cp)
	return cp
}

// refCodecEntity is codecEntity with the reference decoders.
func refCodecEntity(t testing.TB) *eventlog.Entity {
	type decs = [2]func(json.RawMessage) (any, error)
	return refEntity(t, codecEntity(), map[string]decs{
		"i64":    {refDecoder[int64](), refDecoder[int64]()},
		"u64":    {refDecoder[uint64](), refDecoder[int64]()},
		"i":      {refDecoder[int](), refDecoder[int]()},
		"i8":     {refDecoder[int8](), refDecoder[int8]()},
		"u8":     {refDecoder[uint8](), refDecoder[int8]()},
		"u32":    {refDecoder[uint32](), refDecoder[int32]()},
		"f64":    {refDecoder[float64](), refDecoder[float64]()},
		"f32":    {refDecoder[float32](), refDecoder[float32]()},
		"s":      {refDecoder[string]()},
		"b":      {refDecoder[bool]()},
		"t":      {refDecoder[time.Time]()},
		"bytes":  {refDecoder[[]byte]()},
		"uuid":   {refDecoder[uuid.UUID]()},
		"enum":   {refDecoder[codecColor]()},
		"doc":    {refJSONDecoder[codecDoc]()},
		"map":    {refJSONDecoder[map[string]any]()},
		"ints":   {refJSONDecoder[[]int64]()},
		"raw":    {refJSONDecoder[json.RawMessage]()},
		"secret": {refDecoder[string]()},
	}, map[string]func(json.RawMessage) (any, error){
		"owner": refDecoder[int](), "owner_fk": refDecoder[int](), "labels": refDecoder[uuid.UUID](),
	})
}

// refUserEntity is the example's User with the reference decoders.
func refUserEntity(t testing.TB) *eventlog.Entity {
	type decs = [2]func(json.RawMessage) (any, error)
	return refEntity(t, ent.Entevents().Entity("User"), map[string]decs{
		"create_time":   {refDecoder[time.Time]()},
		"update_time":   {refDecoder[time.Time]()},
		"name":          {refDecoder[string]()},
		"email":         {refDecoder[string]()},
		"password_hash": {refDecoder[string]()},
		"role":          {refDecoder[user.Role]()},
		"age":           {refDecoder[int](), refDecoder[int]()},
		"karma":         {refDecoder[int64](), refDecoder[int64]()},
		"quota":         {refDecoder[uint64](), refDecoder[int64]()},
		"score":         {refDecoder[float64](), refDecoder[float64]()},
		"avatar":        {refDecoder[[]byte]()},
		"settings":      {refJSONDecoder[schema.Settings]()},
		"last_seen_at":  {refDecoder[time.Time]()},
	}, map[string]func(json.RawMessage) (any, error){
		"posts": refDecoder[int](), "comments": refDecoder[uuid.UUID](), "profile": refDecoder[int](),
	})
}

// refPostEntity is the example's Post with the reference decoders.
func refPostEntity(t testing.TB) *eventlog.Entity {
	type decs = [2]func(json.RawMessage) (any, error)
	return refEntity(t, ent.Entevents().Entity("Post"), map[string]decs{
		"create_time":  {refDecoder[time.Time]()},
		"update_time":  {refDecoder[time.Time]()},
		"title":        {refDecoder[string]()},
		"body":         {refDecoder[string]()},
		"status":       {refDecoder[post.Status]()},
		"views":        {refDecoder[int](), refDecoder[int]()},
		"published_at": {refDecoder[time.Time]()},
		"attributes":   {refJSONDecoder[map[string]any]()},
		"author_id":    {refDecoder[int]()},
	}, map[string]func(json.RawMessage) (any, error){
		"author": refDecoder[int](), "tags": refDecoder[int](), "comments": refDecoder[uuid.UUID](),
	})
}

// Where the parser and the reference differ on purpose: the parser rejects a
// repeated key (encoding/json merges or overwrites), and data after the document
// (the reference misses a '}' or ']' there, which dec.More does not report).

// The objects of the document whose keys the parser reads.
const (
	levelValue = iota
	levelDocument
	levelMap
	levelEdges
	levelEdge
)

// duplicateKeys reports whether an object of the document (not a value in it)
// repeats a key, compared as encoding/json matches them: the keys of Data and
// EdgeChange under case folding, map keys exactly.
func duplicateKeys(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers out of the range of float64 are no error
	canonical := func(key string, names ...string) string {
		if slices.Contains(names, key) {
			return key
		}
		for _, n := range names {
			if strings.EqualFold(key, n) {
				return n
			}
		}
		return key
	}
	dup := false
	var walk func(level int) error
	walk = func(level int) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if tok == json.Delim('[') {
			for dec.More() {
				if err := walk(levelValue); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		if tok != json.Delim('{') {
			return nil
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, child := tok.(string), levelValue
			switch level {
			case levelDocument:
				key = canonical(key, "fields", "cleared", "added", "edges", "redacted", "upsert")
				switch key {
				case "fields", "added":
					child = levelMap
				case "edges":
					child = levelEdges
				}
			case levelEdges:
				child = levelEdge
			case levelEdge:
				key = canonical(key, "added", "removed", "cleared")
			}
			if level != levelValue && seen[key] {
				dup = true
			}
			seen[key] = true
			if err := walk(child); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	_ = walk(levelDocument)
	return dup
}

// trailing reports data after the first JSON value of raw.
func trailing(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var v json.RawMessage
	if dec.Decode(&v) != nil {
		return false
	}
	return len(bytes.TrimLeft(raw[dec.InputOffset():], " \t\r\n")) > 0
}

// checkParseData checks ParseData against the reference on raw, and returns its
// result.
func checkParseData(t testing.TB, raw []byte) *eventlog.Data {
	t.Helper()
	want, wantErr := refParseData(raw)
	got, err := eventlog.ParseData(raw)
	if err != nil {
		require.ErrorIs(t, err, eventlog.ErrDecode)
		require.Nil(t, got)
	}
	if wantErr == nil && (duplicateKeys(raw) || trailing(raw)) {
		require.Error(t, err, "a repeated key or data after the document: %q", raw)
		return nil
	}
	if wantErr != nil {
		require.Error(t, err, "the reference fails with %v: %q", wantErr, raw)
		return nil
	}
	require.NoError(t, err, "%q", raw)
	require.Equal(t, want, got, "%q", raw)
	return got
}

// jsonbText writes the JSON document as PostgreSQL prints a jsonb: object keys
// by length then bytes, the last of repeated keys, ", " and ": " between members.
// Scalars stay as they are.
func jsonbText(t testing.TB, doc []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	var write func(raw json.RawMessage)
	write = func(raw json.RawMessage) {
		switch raw[0] {
		case '{':
			var m map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(raw, &m))
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.SortFunc(keys, func(a, b string) int {
				if len(a) != len(b) {
					return len(a) - len(b)
				}
				return strings.Compare(a, b)
			})
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteString(", ")
				}
				q, _ := json.Marshal(k)
				b.Write(q)
				b.WriteString(": ")
				write(m[k])
			}
			b.WriteByte('}')
		case '[':
			var a []json.RawMessage
			require.NoError(t, json.Unmarshal(raw, &a))
			b.WriteByte('[')
			for i, v := range a {
				if i > 0 {
					b.WriteString(", ")
				}
				write(v)
			}
			b.WriteByte(']')
		default:
			b.Write(raw)
		}
	}
	var doc0 json.RawMessage
	require.NoError(t, json.Unmarshal(doc, &doc0))
	write(doc0)
	return b.Bytes()
}

func nested(depth int, inner string) string {
	return strings.Repeat("[", depth) + inner + strings.Repeat("]", depth)
}

// parseDataCases are documents, valid and not, for the differential tests.
var parseDataCases = []struct {
	name string
	docs []string
}{
	{"Valid", []string{
		``,
		`{}`,
		`null`,
		" \t\r\n{ } \n",
		`{"fields":{"s":"x","i":7,"f64":-1.5e-7,"t":"2024-02-29T23:59:59.123456789+05:30","doc":{"n":1,"inner":{"b":"AA=="}},"map":{"a":[1,2.50,"x",null,true,false,{}]},"raw":[],"bytes":null}}`,
		`{"fields":{"s":"x"},"cleared":["t","bytes"],"added":{"u64":-3,"f64":0.5},"edges":{"labels":{"added":["00000000-0000-0000-0000-000000000001"],"removed":["00000000-0000-0000-0000-000000000002"]},"owner":{"added":[10],"cleared":true}},"redacted":["secret"],"upsert":true}`,
		`{"fields":{},"cleared":[],"added":{},"edges":{},"redacted":[]}`,
		`{"fields":null,"cleared":null,"added":null,"edges":null,"redacted":null,"upsert":null}`,
		`{"upsert":false}`,
		`{"cleared":[null,"a",null]}`,
		`{"edges":{"owner":null}}`,
		`{"edges":{"owner":{}}}`,
		`{"edges":{"owner":{"added":[],"removed":null,"cleared":null}}}`,
		`{"edges":{"owner":{"added":[1,"a",null,{"k":[1]},-0.5e+3],"cleared":false}}}`,
		`{ "fields" : { "a" : [ 1 , { "b" : 2 } ] , "c" : "d" } , "upsert" : true }`,
	}},
	{"KeysAsEncodingJSONMatchesThem", []string{
		`{"Fields":{"a":1},"CLEARED":["x"],"Upsert":true}`,
		`{"fieldſ":{"a":1}}`,
		`{"edges":{"x":{"ADDED":[1],"Removed":[2],"cleaRed":true}}}`,
		`{"fi\u0065lds":{"\u00e9":1,"a\\b":2,"\"":3}}`,
		"{\"fields\":{\"a\xff\":1,\"é\":2}}",
		`{"fields":{"a\ud800":1,"\ud83d\ude00":2}}`,
		`{"cleared":["\u0061","b\n"]}`,
	}},
	{"Values", []string{
		`{"fields":{"a":0,"b":-0,"c":1e3,"d":1E-3,"e":0.5,"f":123456789012345678901234567890,"g":-9223372036854775808,"h":1e+400}}`,
		`{"fields":{"s":"\"\\\/\b\f\n\r\t\u0000\u00e9\ud800","u":"\xff\xfe","l":"名前 🎉"}}`,
		`{"fields":{"z":null,"t":true,"f":false,"o":{},"a":[],"n":[[[{}]]]}}`,
		`{"fields":{"v":` + nested(9998, "1") + `}}`,
		`{"edges":{"e":{"added":[` + nested(9996, "1") + `]}}}`,
	}},
	{"InvalidJSON", []string{
		` `,
		`{`,
		`}`,
		`{"fields":`,
		`{"fields":{"a":}}`,
		`{"fields":{"a":1,}}`,
		`{"fields":{"a" 1}}`,
		`{"fields":{a:1}}`,
		`{,}`,
		`{"fields":{}`,
		`{"fields":{"a":01}}`,
		`{"fields":{"a":1.}}`,
		`{"fields":{"a":.5}}`,
		`{"fields":{"a":-}}`,
		`{"fields":{"a":1e}}`,
		`{"fields":{"a":1e+}}`,
		`{"fields":{"a":+1}}`,
		`{"fields":{"a":0x1}}`,
		`{"fields":{"a":NaN}}`,
		`{"fields":{"a":tru}}`,
		`{"fields":{"a":nul}}`,
		`{"fields":{"a":[1 2]}}`,
		`{"fields":{"a":[1,]}}`,
		"{\"fields\":{\"a\":\"x\x01\"}}",
		"{\"fields\":{\"a\":\"x\ty\"}}",
		`{"fields":{"a":"\q"}}`,
		`{"fields":{"a":"\u12"}}`,
		`{"fields":{"a":"\u12G4"}}`,
		`{"fields":{"a":"x}}`,
		`{"fields":{"a":"x\`,
		"\xef\xbb\xbf{}",
		`{"fields":{"v":` + nested(9999, "1") + `}}`,
		`{"edges":{"e":{"added":[` + nested(9997, "1") + `]}}}`,
	}},
	{"NotAnEventDocument", []string{
		`[]`,
		`"x"`,
		`5`,
		`true`,
		`{"fieldz":{}}`,
		`{"fields":[]}`,
		`{"fields":"x"}`,
		`{"fields":1}`,
		`{"added":true}`,
		`{"cleared":"a"}`,
		`{"cleared":[1]}`,
		`{"cleared":[["a"]]}`,
		`{"cleared":{}}`,
		`{"redacted":[true]}`,
		`{"upsert":"true"}`,
		`{"upsert":1}`,
		`{"upsert":[]}`,
		`{"edges":[]}`,
		`{"edges":{"x":[]}}`,
		`{"edges":{"x":true}}`,
		`{"edges":{"x":{"added":{}}}}`,
		`{"edges":{"x":{"removed":"1"}}}`,
		`{"edges":{"x":{"cleared":5}}}`,
		`{"edges":{"x":{"cleared":"true"}}}`,
		`{"edges":{"x":{"nope":1}}}`,
		`{"edges":{"x":{"adder":[1]}}}`,
		`{"\u00ff":1}`,
	}},
	{"DataAfterTheDocument", []string{
		`{} {}`,
		`{}x`,
		`null null`,
		`{}}`,
		`{}]`,
		`{"fields":{"a":1}} ]`,
	}},
	{"RepeatedKeys", []string{
		`{"fields":{"a":1},"fields":{"b":2}}`,
		`{"fields":{"a":1,"a":2}}`,
		`{"Fields":{},"fields":{}}`,
		`{"upsert":true,"upsert":null}`,
		`{"cleared":["a","b"],"cleared":[null]}`,
		`{"edges":{"x":{"added":[1]},"x":null}}`,
		`{"edges":{"x":{"added":[1],"Added":[2]}}}`,
		"{\"fields\":{\"a\xff\":1,\"a\xfe\":2}}",
		`{"fields":{"\u0061":1,"a":2}}`,
		`{"fields":{"0":1E700,"":0,"":0}}`,
	}},
}

func TestParseDataDifferential(t *testing.T) {
	t.Parallel()
	for _, tc := range parseDataCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, doc := range tc.docs {
				checkParseData(t, []byte(doc))
				if _, err := refParseData([]byte(doc)); err == nil && len(doc) > 0 && json.Valid([]byte(doc)) && !duplicateKeys([]byte(doc)) {
					// As PostgreSQL returns the document from a jsonb column.
					checkParseData(t, jsonbText(t, []byte(doc)))
				}
			}
		})
	}
}

// TestParseDataLarge parses documents above the size whose strings share one
// copy of it, with escaped and plain keys and values.
func TestParseDataLarge(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 5000)
	for _, doc := range []string{
		`{"fields":{"name":"` + long + `","bio":"b\u00e9","n\u0061me2":1},"cleared":["age"],"redacted":["password"]}`,
		`{"redacted":["` + long + `"],"edges":{"tags":{"added":[1,2],"removed":[3],"cleared":true}},"added":{"karma":5}}`,
	} {
		d := checkParseData(t, []byte(doc))
		require.NotNil(t, d)
	}
}

// TestParseDataErrors: errors wrap ErrDecode and say what is wrong.
func TestParseDataErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, doc, msg string }{
		{"InvalidCharacter", `{"fields":{"a":}}`, `invalid character '}' at offset 15, want a value`},
		{"EndOfData", `{"fields":`, `unexpected end of JSON, want a value`},
		{"Whitespace", ` `, `unexpected end of JSON, want a value`},
		{"UnknownKey", `{"fieldz":{}}`, `unknown key "fieldz"`},
		{"UnknownEdgeKey", `{"edges":{"x":{"nope":1}}}`, `edge "x": unknown key "nope"`},
		{"WrongKind", `{"cleared":5}`, `"cleared" at offset 11 is a number, want an array of strings`},
		{"WrongKindInEdge", `{"edges":{"x":{"cleared":5}}}`, `edge "x": "cleared" at offset 25 is a number, want a boolean`},
		{"NotAnObject", `[1]`, `the document at offset 0 is an array, want an object`},
		{"TrailingData", `{} {}`, `trailing data after the event document at offset 3`},
		{"RepeatedKey", `{"fields":{"a":1,"a":2}}`, `duplicate key "a" in "fields"`},
		{"RepeatedFoldedKey", `{"upsert":true,"Upsert":true}`, `duplicate key "Upsert"`},
		{"InvalidEscape", `{"fields":{"a":"\x"}}`, `invalid escape in a string at offset 16`},
		{"TooDeep", `{"fields":{"a":` + nested(9999, "") + `}}`, `arrays and objects nested deeper than 10000 at offset 10013`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := eventlog.ParseData([]byte(tc.doc))
			require.ErrorIs(t, err, eventlog.ErrDecode)
			require.EqualError(t, err, "entevents: cannot decode event: data is not a valid event document: "+tc.msg)
		})
	}
}

// TestParseDataAliases: the values are slices of the input that appending to
// does not overwrite.
func TestParseDataAliases(t *testing.T) {
	t.Parallel()
	raw := []byte(`{"fields":{"a":1,"b":2},"edges":{"x":{"added":[3,4]}}}`)
	d, err := eventlog.ParseData(raw)
	require.NoError(t, err)
	_ = append(d.Fields["a"], '0')
	_ = append(d.Edges["x"].Added[0], '0')
	require.Equal(t, `{"fields":{"a":1,"b":2},"edges":{"x":{"added":[3,4]}}}`, string(raw))
	require.Equal(t, json.RawMessage("2"), d.Fields["b"])
	require.Equal(t, json.RawMessage("4"), d.Edges["x"].Added[1])
}

type (
	decInt8   int8
	decUint   uint16
	decBool   bool
	decFloat  float64
	decBytes  []byte
	decByte   byte
	decText   string
	decStruct struct {
		A int    `json:"a"`
		B string `json:"b"`
	}
)

func (d *decText) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty")
	}
	*d = decText("text:" + string(b))
	return nil
}

type decoderPair struct {
	name      string
	got, want func(json.RawMessage) (any, error)
}

func pairOf[T any]() decoderPair {
	return decoderPair{reflect.TypeFor[T]().String(), eventlog.Decoder[T](), refDecoder[T]()}
}

func jsonPairOf[T any]() decoderPair {
	return decoderPair{"JSON " + reflect.TypeFor[T]().String(), eventlog.JSONDecoder[T](), refJSONDecoder[T]()}
}

// sameValue is reflect.DeepEqual that tells the zeros of floats apart.
func sameValue(a, b any) bool {
	if va, vb := reflect.ValueOf(a), reflect.ValueOf(b); va.IsValid() && vb.IsValid() && va.Type() == vb.Type() &&
		(va.Kind() == reflect.Float32 || va.Kind() == reflect.Float64) {
		return math.Float64bits(va.Float()) == math.Float64bits(vb.Float())
	}
	return reflect.DeepEqual(a, b)
}

// TestDecodersDifferential: every decoder gives json.Unmarshal's value, or its
// error, for every text.
func TestDecodersDifferential(t *testing.T) {
	t.Parallel()
	local := time.Date(2024, 7, 4, 12, 0, 0, 5, time.Local).Format(time.RFC3339Nano)
	decoders := []decoderPair{
		pairOf[string](), pairOf[codecColor](), pairOf[decText](), pairOf[bool](), pairOf[decBool](),
		pairOf[int](), pairOf[int8](), pairOf[int16](), pairOf[int32](), pairOf[int64](), pairOf[decInt8](),
		pairOf[time.Duration](), pairOf[uint](), pairOf[uint8](), pairOf[uint16](), pairOf[uint32](), pairOf[uint64](),
		pairOf[uintptr](), pairOf[decUint](), pairOf[float32](), pairOf[float64](), pairOf[decFloat](),
		pairOf[time.Time](), pairOf[[]byte](), pairOf[decBytes](), pairOf[[]decByte](), pairOf[uuid.UUID](),
		pairOf[netip.Addr](), pairOf[json.Number](), pairOf[json.RawMessage](), pairOf[*int](), pairOf[*time.Time](),
		pairOf[[2]int](), pairOf[decStruct](), pairOf[map[string]any](), pairOf[any](),
		jsonPairOf[map[string]any](), jsonPairOf[[]any](), jsonPairOf[any](), jsonPairOf[codecDoc](),
		jsonPairOf[schema.Settings](), jsonPairOf[[]int64](), jsonPairOf[json.RawMessage](), jsonPairOf[map[string]int](),
	}
	texts := []string{
		// Strings.
		`"x"`, `""`, `"héllo wörld"`, `"名前 🎉"`, `"red"`, `"\u00e9"`, `"a\"b"`, `"a\\b"`, `"\/"`, `"\b\f\n\r\t"`,
		`"\u0000"`, `"\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`, "\"\xff\"", "\"a\xc3\"", "\"\xed\xa0\x80\"",
		"\"a\tb\"", "\"\x7f\"", "\"\u2028\"", `"<&>"`, `" x"`, ` "x"`, `"x" `, `"x"y`, `"x`, `x"`, `"\q"`, `"\u12"`,
		// Literals.
		`null`, ` null `, `nul`, `true`, `false`, ` true`, `True`, `truex`,
		// Numbers.
		`0`, `-0`, `1`, `-1`, `7`, `127`, `128`, `-128`, `-129`, `255`, `256`, `300`, `32767`, `32768`, `65535`, `65536`,
		`2147483647`, `2147483648`, `-2147483648`, `-2147483649`, `4294967295`, `4294967296`,
		`9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `-9223372036854775809`,
		`18446744073709551615`, `18446744073709551616`, `99999999999999999999`, `123456789012345678901234567890`,
		`1.5`, `1.0`, `-1.5e-7`, `1e3`, `1E3`, `1e+3`, `-1e-3`, `0.1`, `0.30000000000000004`, `1e21`, `1e-7`,
		`01`, `-01`, `1.`, `.5`, `+1`, `-`, `0x10`, `1_000`, `Infinity`, `NaN`, `1e400`, `-1e400`, `1e-400`, `-1e-400`,
		`3.4028234663852886e38`, `3.4028235677973366e38`, `3.5e38`, `1.401298464324817e-45`, `1e-46`,
		`4.9e-324`, `2.2250738585072014e-308`, `1.7976931348623157e308`, `1.7976931348623159e308`, ` 1`, `1 `, `1x`,
		// Times.
		`"2024-02-29T23:59:59.999999999Z"`, `"2024-02-29T23:59:59+05:30"`, `"2024-02-29T23:59:59.123-07:00"`,
		`"1969-12-31T23:59:59.000000001-09:30"`, `"0001-01-01T00:00:00Z"`, `"9999-12-31T23:59:59.999999999Z"`,
		`"2024-07-04T12:00:00.000000005-04:00"`, `"` + local + `"`, `"2024-01-01T00:00:00+00:00"`, `"2024-01-01T00:00:00-00:00"`,
		`"2024-02-30T00:00:00Z"`, `"2024-01-01 00:00:00Z"`, `"2024-01-01T00:00:00"`, `"2024-01-01T00:00:00z"`,
		`"2024-01-01T00:00:00\u002B01:00"`, `"2024-01-01T00:00:00+24:00"`, `"2024-01-01T00:00:00.Z"`, `"yesterday"`,
		// Base64.
		`"AAH/"`, `"AAH_"`, `"AA=="`, `"AA="`, `"AA"`, `"A"`, `"AA\u003d\u003d"`, `"AA\n=="`, `"AA\r\n=="`, `"****"`,
		// UUIDs and addresses.
		`"0190a5c4-7f6e-7c3a-9d2b-1e2f3a4b5c6d"`, `"{0190a5c4-7f6e-7c3a-9d2b-1e2f3a4b5c6d}"`,
		`"urn:uuid:0190a5c4-7f6e-7c3a-9d2b-1e2f3a4b5c6d"`, `"0190a5c47f6e7c3a9d2b1e2f3a4b5c6d"`,
		`"0190A5C4-7F6E-7C3A-9D2B-1E2F3A4B5C6D"`, `"0190a5c4-7f6e-7c3a-9d2b-1e2f3a4b5c6\u0064"`, `"not-a-uuid"`,
		`"127.0.0.1"`, `"::1"`,
		// JSON.
		`{}`, `{"a":1}`, `{"a":1,"a":2}`, `{"a":[1,"x",null,true,{"b":1.50}]}`, `[]`, `[1,2]`, `[1,-2,9223372036854775807]`,
		` {"a" : 1 } `, "\n[ 1 ,\t2 ]\r\n", `{"a":1}]`, `{"a":1}}`, `{"a":1} {}`, `{"a":1`, `{"a":1,}`, `[1,]`,
		`{"theme":"dark","notifications":true,"languages":["en"]}`, `{"Theme":"x","extra":1,"languages":null}`,
		`{"n":-1,"u":18446744073709551615,"f":1e-7,"b":"AA==","t":"2001-02-03T04:05:06+05:30","inner":{"n":2}}`,
		`{"a":"\u00e9\ud800","\u0062":"x\ty"}`, `{"a\ud800":1,"a\udc00":2}`, `{"a":1e400}`, `[1e400]`,
		`{"a":{"b":{"c":[[[]]]}}}`, nested(10000, ""), nested(10001, ""), `[` + nested(9999, "{}") + `]`,
		``, ` `,
	}
	for _, d := range decoders {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			for _, text := range texts {
				want, wantErr := d.want(json.RawMessage(text))
				got, err := d.got(json.RawMessage(text))
				if wantErr != nil {
					require.EqualError(t, err, wantErr.Error(), "%.60q", text)
					continue
				}
				require.NoError(t, err, "%.60q", text)
				require.True(t, sameValue(want, got), "%.60q: want %#v, got %#v", text, want, got)
			}
		})
	}
}

// flatChange is a Change with names for descriptors and comparable values, in
// the order of the Change (the entity's order, which replay's batching keys
// depend on).
type flatChange struct {
	Set, Added []namedValue
	Cleared    []string
	Edges      []namedValue
	Redacted   []string
	Upsert     bool
}

type namedValue struct {
	Name  string
	Value any
}

func flatten(c *eventlog.Change) flatChange {
	// Floats by type and bits: -0 is not 0.
	canon := func(v any) any {
		if rv := reflect.ValueOf(v); rv.IsValid() && (rv.Kind() == reflect.Float32 || rv.Kind() == reflect.Float64) {
			return fmt.Sprintf("%T %x", v, math.Float64bits(rv.Float()))
		}
		return v
	}
	f := flatChange{Redacted: c.Redacted, Upsert: c.Upsert}
	for _, fv := range c.Set {
		f.Set = append(f.Set, namedValue{fv.Field.Name, canon(fv.Value)})
	}
	for _, fv := range c.Added {
		f.Added = append(f.Added, namedValue{fv.Field.Name, canon(fv.Value)})
	}
	for _, fl := range c.Cleared {
		f.Cleared = append(f.Cleared, fl.Name)
	}
	for _, op := range c.Edges {
		f.Edges = append(f.Edges, namedValue{op.Edge.Name, [3]any{op.Added, op.Removed, op.Cleared}})
	}
	return f
}

// checkDecode checks parsing and decoding raw for e against the reference for
// refE, and returns the decoded change or nil.
func checkDecode(t testing.TB, e, refE *eventlog.Entity, raw []byte) *eventlog.Change {
	t.Helper()
	d := checkParseData(t, raw)
	if d == nil {
		return nil
	}
	var want *eventlog.Change
	refD, wantErr := refParseData(raw)
	if wantErr == nil {
		want, wantErr = refDecode(refE, refD)
	}
	got, err := e.Decode(d)
	if wantErr != nil {
		require.Error(t, err, "the reference fails with %v: %q", wantErr, raw)
		require.ErrorIs(t, err, eventlog.ErrDecode)
		return nil
	}
	require.NoError(t, err, "%q", raw)
	require.Equal(t, flatten(want), flatten(got), "%q", raw)
	return got
}

// FuzzParseData checks ParseData and the decoders of every kind of field against
// the reference, on any data.
func FuzzParseData(f *testing.F) {
	for _, tc := range parseDataCases {
		for _, doc := range tc.docs {
			if len(doc) < 1000 {
				f.Add([]byte(doc))
			}
		}
	}
	for _, doc := range []string{
		`{"fields":{"i64":-9223372036854775808,"u64":18446744073709551615,"i":-0,"i8":-128,"u8":255,"u32":4294967295,"f64":-1.5e-7,"f32":3.4028234663852886e38,"s":"\"quotes\" \\ 名前 <>&\u2028\t\u0000 ünï 🎉","b":true,"t":"2024-02-29T23:59:59.123456789+05:30","bytes":"AAH/","uuid":"0190a5c4-7f6e-7c3a-9d2b-1e2f3a4b5c6d","enum":"red","doc":{"n":1,"u":2,"f":0.5,"b":"AA==","t":"2001-02-03T04:05:06Z","any":{"x":[1,null]}},"map":{"big":9223372036854775807,"f":1e-7,"s":"x","null":null,"nested":[18446744073709551615,true]},"ints":[1,-2],"raw":{"a":[1,2.50,"x"]},"secret":""}}`,
		`{"added":{"i64":1,"u64":-3,"i":1e3,"i8":300,"u8":-128,"u32":-1,"f64":0.5,"f32":1e39},"cleared":["t","bytes"],"edges":{"owner":{"added":[10],"cleared":true},"labels":{"added":["00000000-0000-0000-0000-000000000001"],"removed":["{00000000-0000-0000-0000-000000000002}"]}}}`,
		`{"fields": {"b": false, "i": 1.5, "s": "\ud800", "t": "2024-01-01T00:00:00+24:00", "map": null, "ints": null, "bytes": null}}`,
		`{"fields":{"t":"2024-07-04T12:00:00.000000005-04:00","uuid":"0190A5C47F6E7C3A9D2B1E2F3A4B5C6D","bytes":"AA\u003d\u003d","enum":"\u0072ed"}}`,
		`{"fields":{"i64":null}}`,
		`{"fields":{"nope":1}}`,
		`{"edges":{"labels":{"added":[1]}}}`,
	} {
		f.Add([]byte(doc))
	}
	e, refE := codecEntity(), refCodecEntity(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, e, refE, data)
	})
}

// typicalDoc is an event document of the example schema, with the entity it
// decodes for and that entity with the reference decoders.
type typicalDoc struct {
	name    string
	doc     []byte
	e, refE *eventlog.Entity
}

// typicalDocuments are the documents of the benchmark: a user created with
// every field (one redacted; a JSON struct), updated with two fields and a delta,
// and a post created with a JSON map and edges.
func typicalDocuments(t testing.TB) []typicalDoc {
	t.Helper()
	c := ent.NewClient()
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	userCreate := c.User.Create().SetName("Jane Doe").SetEmail("jane@example.com").SetPasswordHash("x").SetRole("member").
		SetAge(33).SetKarma(10).SetQuota(1 << 40).SetScore(0.75).SetAvatar([]byte{0x89, 'P', 'N', 'G', 0, 1, 2, 3, 0xff}).
		SetSettings(schema.Settings{Theme: "dark", Notifications: true, Languages: []string{"en", "fr"}}).
		SetLastSeenAt(at.In(time.FixedZone("", 2*3600))).SetCreateTime(at).SetUpdateTime(at).Mutation()
	userUpdate := c.User.UpdateOneID(1).SetName("Jane Roe").SetUpdateTime(at.Add(time.Hour)).AddKarma(-2).Mutation()
	postCreate := c.Post.Create().SetTitle("Event sourcing with ent").SetBody("Replaying the log rebuilds the tables.").
		SetStatus(post.StatusPublished).SetViews(0).SetPublishedAt(at).SetAuthorID(1).SetCreateTime(at).SetUpdateTime(at).
		SetAttributes(map[string]any{"lang": "en", "words": 1234, "tags": []string{"go", "json"}, "draft": false}).
		AddTagIDs(3, 1, 2).Mutation()
	userE, postE := ent.Entevents().Entity("User"), ent.Entevents().Entity("Post")
	refUser, refPost := refUserEntity(t), refPostEntity(t)
	encode := func(e *eventlog.Entity, m entgo.Mutation) []byte {
		d, _, err := e.EncodeMutation(m, false)
		require.NoError(t, err)
		return d.AppendJSON(nil)
	}
	return []typicalDoc{
		{"UserCreate", encode(userE, userCreate), userE, refUser},
		{"UserUpdate", encode(userE, userUpdate), userE, refUser},
		{"PostCreate", encode(postE, postCreate), postE, refPost},
	}
}

// TestDecodeTypical: the typical documents decode as with the reference, as
// written (SQLite) and as PostgreSQL returns them from the jsonb column.
func TestDecodeTypical(t *testing.T) {
	t.Parallel()
	type testBundle struct {
		docs []typicalDoc
	}
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{docs: typicalDocuments(t)}
	}
	t.Run("AsWritten", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)
		for _, td := range bundle.docs {
			c := checkDecode(t, td.e, td.refE, td.doc)
			require.NotNil(t, c, td.name)
			require.NotEmpty(t, c.Set, td.name)
		}
	})
	t.Run("JSONB", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)
		testdb.RequirePostgres(t)
		db, err := testdb.PostgresConfig().Connect()
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		for _, td := range bundle.docs {
			var text []byte
			require.NoError(t, db.QueryRowContext(context.Background(), "SELECT $1::jsonb::text", string(td.doc)).Scan(&text))
			require.Equal(t, string(jsonbText(t, td.doc)), string(text), "jsonbText writes what PostgreSQL writes")
			c := checkDecode(t, td.e, td.refE, text)
			require.NotNil(t, c, td.name)
			want, err := td.e.DecodeData(td.doc)
			require.NoError(t, err)
			require.Equal(t, flatten(want), flatten(c), "%s: the same change as written and from jsonb", td.name)
		}
	})
}

// BenchmarkDecode measures parsing and decoding the typical documents with the
// reference (old) and the parser and fast decoders (new), as written (SQLite)
// and as PostgreSQL returns them.
func BenchmarkDecode(b *testing.B) {
	for _, td := range typicalDocuments(b) {
		for _, form := range []string{"SQLite", "PostgreSQL"} {
			doc := td.doc
			if form == "PostgreSQL" {
				doc = jsonbText(b, doc)
			}
			run := func(b *testing.B, decode func() (*eventlog.Change, error)) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := decode(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			}
			b.Run(td.name+"/"+form+"/old", func(b *testing.B) {
				run(b, func() (*eventlog.Change, error) {
					d, err := refParseData(doc)
					if err != nil {
						return nil, err
					}
					return refDecode(td.refE, d)
				})
			})
			b.Run(td.name+"/"+form+"/new", func(b *testing.B) {
				run(b, func() (*eventlog.Change, error) { return td.e.DecodeData(doc) })
			})
		}
	}
}
