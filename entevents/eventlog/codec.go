package eventlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"unicode/utf8"

	"entgo.io/ent"
)

// Data is the JSON document stored in the data column of an event. Values are the
// JSON encoding of the field's Go value and decode back to the identical value.
type Data struct {
	// Fields holds the values the mutation set.
	Fields map[string]json.RawMessage `json:"fields,omitempty"`
	// Cleared lists the fields set to NULL.
	Cleared []string `json:"cleared,omitempty"`
	// Added holds numeric deltas (AddX); replay adds them to the current value.
	Added map[string]json.RawMessage `json:"added,omitempty"`
	// Edges holds edge changes by edge name.
	Edges map[string]*EdgeChange `json:"edges,omitempty"`
	// Redacted lists sensitive fields whose values were left out.
	Redacted []string `json:"redacted,omitempty"`
	// Upsert marks a create that ran with OnConflict; Fields then hold the whole row.
	Upsert bool `json:"upsert,omitempty"`
}

// EdgeChange is the change of one edge.
type EdgeChange struct {
	Added   []json.RawMessage `json:"added,omitempty"`
	Removed []json.RawMessage `json:"removed,omitempty"`
	Cleared bool              `json:"cleared,omitempty"`
}

// Decoder returns a function that decodes the JSON form of a T. JSON null is an
// error unless T can be nil (pointer, slice, map, interface): the encoder never
// writes null for other types, so it would silently decode to the zero value.
//
// Values of the common types are decoded without reflection or encoding/json:
// strings (named ones too, such as enums), booleans, integers, floats and []byte,
// and strings without escapes for types with UnmarshalJSON or UnmarshalText (such
// as time.Time and uuid.UUID). The result is json.Unmarshal's: any text the fast
// path does not read as it would goes to json.Unmarshal, errors included.
func Decoder[T any]() func(json.RawMessage) (any, error) {
	null := nullCheck[T]()
	fast := fastDecoder[T]()
	return func(raw json.RawMessage) (any, error) {
		if err := null(raw); err != nil {
			return nil, err
		}
		if fast != nil {
			if v, ok := fast(raw); ok {
				return v, nil
			}
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		return v, nil
	}
}

// JSONDecoder is Decoder for JSON fields: numbers inside untyped values stay
// json.Number so that they re-encode to the same text. Untyped JSON (any,
// map[string]any, []any) is decoded without reflection, and types that hold no
// interface with json.Unmarshal, to the same result.
func JSONDecoder[T any]() func(json.RawMessage) (any, error) {
	null := nullCheck[T]()
	fast := fastJSONDecoder[T]()
	return func(raw json.RawMessage) (any, error) {
		if err := null(raw); err != nil {
			return nil, err
		}
		if fast != nil {
			if v, ok := fast(raw); ok {
				return v, nil
			}
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

// nullCheck returns a check that fails on JSON null when T cannot be nil.
func nullCheck[T any]() func(json.RawMessage) error {
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

func encodeValue(v any) (json.RawMessage, error) {
	if b, ok := appendJSON(nil, v); ok { // the common types, without reflection
		return b, nil
	}
	// JSON would replace invalid UTF-8 with U+FFFD: the value would not decode
	// back to itself. (Strings inside JSON fields are stored by ent with the same
	// encoding, so only top-level strings are checked.)
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String && !utf8.ValidString(rv.String()) {
		return nil, fmt.Errorf("%w: the string is not valid UTF-8", ErrEncode)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncode, err)
	}
	return b, nil
}

// EncodeMutation encodes what m sets, clears, adds and links into event data, and
// returns the sorted names of the changed fields and edges. Sensitive values are
// left out unless includeSensitive.
func (e *Entity) EncodeMutation(m ent.Mutation, includeSensitive bool) (*Data, []string, error) {
	d := &Data{}
	fields := m.Fields()
	changed := make([]string, 0, len(fields)+4)
	for _, name := range fields {
		f := e.Field(name)
		if f == nil {
			return nil, nil, &MutationError{Entity: e.Name, Field: name, Err: errors.New("field unknown to the generated descriptor: run go generate")}
		}
		changed = append(changed, name)
		if f.Sensitive && !includeSensitive {
			d.Redacted = append(d.Redacted, name)
			continue
		}
		v, _ := m.Field(name)
		raw, err := encodeValue(v)
		if err != nil {
			return nil, nil, &MutationError{Entity: e.Name, Field: name, Err: err}
		}
		if d.Fields == nil {
			d.Fields = make(map[string]json.RawMessage, len(fields))
		}
		d.Fields[name] = raw
	}
	for _, name := range m.AddedFields() {
		if f := e.Field(name); f != nil && f.Sensitive && !includeSensitive {
			// The delta reveals the value as much as the value does.
			if !slices.Contains(d.Redacted, name) {
				d.Redacted = append(d.Redacted, name)
			}
			changed = append(changed, name)
			continue
		}
		v, _ := m.AddedField(name)
		raw, err := encodeValue(v)
		if err != nil {
			return nil, nil, &MutationError{Entity: e.Name, Field: name, Err: err}
		}
		if d.Added == nil {
			d.Added = make(map[string]json.RawMessage)
		}
		d.Added[name] = raw
		changed = append(changed, name)
	}
	for _, name := range m.ClearedFields() {
		d.Cleared = append(d.Cleared, name)
		changed = append(changed, name)
	}
	edge := func(name string) *EdgeChange {
		if d.Edges == nil {
			d.Edges = make(map[string]*EdgeChange)
		}
		c := d.Edges[name]
		if c == nil {
			c = &EdgeChange{}
			d.Edges[name] = c
			changed = append(changed, name)
		}
		return c
	}
	ids := func(name string, vs []ent.Value) ([]json.RawMessage, error) {
		out := make([]json.RawMessage, len(vs))
		for i, v := range vs {
			raw, err := encodeValue(v)
			if err != nil {
				return nil, &MutationError{Entity: e.Name, Field: name, Err: err}
			}
			out[i] = raw
		}
		// ent keeps edge ids in a map: sort them so that equal mutations encode equally.
		sort.Slice(out, func(i, j int) bool {
			if len(out[i]) != len(out[j]) {
				return len(out[i]) < len(out[j])
			}
			return bytes.Compare(out[i], out[j]) < 0
		})
		return out, nil
	}
	for _, name := range m.ClearedEdges() {
		if ed := e.edges[name]; ed != nil && ed.FieldBacked() {
			continue
		}
		edge(name).Cleared = true
	}
	for _, name := range m.RemovedEdges() {
		if ed := e.edges[name]; ed != nil && ed.FieldBacked() {
			continue
		}
		raw, err := ids(name, m.RemovedIDs(name))
		if err != nil {
			return nil, nil, err
		}
		if len(raw) > 0 {
			edge(name).Removed = raw
		}
	}
	for _, name := range m.AddedEdges() {
		if ed := e.edges[name]; ed != nil && ed.FieldBacked() {
			continue
		}
		raw, err := ids(name, m.AddedIDs(name))
		if err != nil {
			return nil, nil, err
		}
		if len(raw) > 0 {
			edge(name).Added = raw
		}
	}
	sort.Strings(changed)
	changed = dedupSorted(changed)
	return d, changed, nil
}

func dedupSorted(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// FieldValue is a decoded field value.
type FieldValue struct {
	Field *Field
	Value any
}

// EdgeOp is a decoded edge change.
type EdgeOp struct {
	Edge    *Edge
	Added   []any
	Removed []any
	Cleared bool
}

// Change is decoded event data, in the entity's field and edge order.
type Change struct {
	Set      []FieldValue
	Cleared  []*Field
	Added    []FieldValue
	Edges    []EdgeOp
	Redacted []string
	Upsert   bool
}

// ParseData parses the data column without decoding the values. It accepts what
// encoding/json accepts when it decodes the document into a Data with unknown
// fields disallowed, with the same result, except a repeated key in an object
// of the document (not inside a value), and data after the document: both are
// errors. An empty document is an empty Data.
//
// The json.RawMessage values of the result are slices of raw, which must not be
// modified while they are in use.
func ParseData(raw []byte) (*Data, error) {
	d := &Data{}
	if len(raw) == 0 {
		return d, nil
	}
	s := scanner{b: raw}
	if err := s.document(d); err != nil {
		return nil, fmt.Errorf("%w: data is not a valid event document: %v", ErrDecode, err)
	}
	return d, nil
}

// fieldError is a decode error naming a field; EventError copies the name.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return fmt.Sprintf("field %q: %v", e.field, e.err) }
func (e *fieldError) Unwrap() error { return e.err }

// FieldOf returns the field named by a decode error, or "".
func FieldOf(err error) string {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.field
	}
	return ""
}

// DecodeData decodes event data into typed values of e. Unknown fields or edges, and
// values of the wrong type, are errors naming the field.
func (e *Entity) DecodeData(raw []byte) (*Change, error) {
	d, err := ParseData(raw)
	if err != nil {
		return nil, err
	}
	return e.Decode(d)
}

// Decode decodes parsed event data into typed values of e.
func (e *Entity) Decode(d *Data) (*Change, error) {
	c := &Change{Redacted: d.Redacted, Upsert: d.Upsert}
	if len(d.Fields) > 0 {
		c.Set = make([]FieldValue, 0, len(d.Fields))
	}
	if len(d.Added) > 0 {
		c.Added = make([]FieldValue, 0, len(d.Added))
	}
	bad := func(name string, err error) error {
		return &fieldError{field: name, err: fmt.Errorf("%w: %v", ErrDecode, err)}
	}
	// has[2i] and has[2i+1] mark a value and a delta of e.Fields[i], which are
	// then looked up in the entity's order.
	var buf [128]bool
	has := buf[:]
	if 2*len(e.Fields) > len(buf) {
		has = make([]bool, 2*len(e.Fields))
	}
	for name := range d.Fields {
		i, ok := e.fields[name]
		if !ok {
			return nil, bad(name, fmt.Errorf("unknown field of %s", e.Name))
		}
		has[2*i] = true
	}
	for name := range d.Added {
		i, ok := e.fields[name]
		if !ok {
			return nil, bad(name, fmt.Errorf("unknown field of %s", e.Name))
		}
		has[2*i+1] = true
	}
	for name := range d.Edges {
		if e.edges[name] == nil {
			return nil, bad(name, fmt.Errorf("unknown edge of %s", e.Name))
		}
	}
	for i, f := range e.Fields {
		if has[2*i] {
			v, err := f.Decode(d.Fields[f.Name])
			if err != nil {
				return nil, bad(f.Name, err)
			}
			c.Set = append(c.Set, FieldValue{Field: f, Value: v})
		}
		if has[2*i+1] {
			if f.DecodeAdd == nil {
				return nil, bad(f.Name, errors.New("a delta (AddX) for a field that ent cannot add to"))
			}
			v, err := f.DecodeAdd(d.Added[f.Name])
			if err != nil {
				return nil, bad(f.Name, err)
			}
			c.Added = append(c.Added, FieldValue{Field: f, Value: v})
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
		op := EdgeOp{Edge: ed, Cleared: ch.Cleared}
		if len(ch.Added) > 0 {
			op.Added = make([]any, 0, len(ch.Added))
		}
		if len(ch.Removed) > 0 {
			op.Removed = make([]any, 0, len(ch.Removed))
		}
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
