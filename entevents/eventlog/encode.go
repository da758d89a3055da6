package eventlog

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// The capture path encodes every field of every event: these appenders write
// what json.Marshal writes, byte for byte, without its reflection, map sorting and
// re-validation of json.RawMessage, for the values mutations carry most.

// appendJSON appends the JSON encoding of v as json.Marshal writes it, for
// strings of printable ASCII (named string types too, such as ent enums, unless
// they have a marshaler), integers, booleans, finite floats and times; ok is false
// for any other value, for which the caller uses json.Marshal.
func appendJSON(b []byte, v any) (_ []byte, ok bool) {
	switch v := v.(type) {
	case string:
		return appendPlainString(b, v)
	case bool:
		return strconv.AppendBool(b, v), true
	case int:
		return strconv.AppendInt(b, int64(v), 10), true
	case int8:
		return strconv.AppendInt(b, int64(v), 10), true
	case int16:
		return strconv.AppendInt(b, int64(v), 10), true
	case int32:
		return strconv.AppendInt(b, int64(v), 10), true
	case int64:
		return strconv.AppendInt(b, v, 10), true
	case uint:
		return strconv.AppendUint(b, uint64(v), 10), true
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10), true
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10), true
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), true
	case uint64:
		return strconv.AppendUint(b, v, 10), true
	case float64:
		return appendFloat(b, v, 64)
	case float32:
		return appendFloat(b, float64(v), 32)
	case json.Marshaler, encoding.TextMarshaler:
		return b, false
	case time.Time:
		// Time.MarshalJSON is MarshalText between quotes; both fail on years
		// outside [0,9999], left to json.Marshal to report.
		out, err := v.AppendText(append(b, '"'))
		if err != nil {
			return b, false
		}
		return append(out, '"'), true
	}
	// Named strings without marshalers (ent enums) are strings to json.Marshal.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
		return appendPlainString(b, rv.String())
	}
	return b, false
}

// appendPlainString appends s quoted if it needs no escaping in JSON (printable
// ASCII other than ", \ and the characters json.Marshal escapes for HTML).
func appendPlainString(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return b, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}

// appendFloat is encoding/json's float encoding; NaN and infinities are left to
// json.Marshal, which refuses them.
func appendFloat(b []byte, f float64, bits int) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendString appends s as json.Marshal encodes a string.
func appendString(b []byte, s string) []byte {
	if out, ok := appendPlainString(b, s); ok {
		return out
	}
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// AppendStrings appends the JSON array of names, as json.Marshal encodes a
// []string (nil as []).
func AppendStrings(b []byte, names []string) []byte {
	b = append(b, '[')
	for i, s := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// AppendJSON appends the JSON document of d, byte for byte what json.Marshal(d)
// writes when every json.RawMessage in d is compact JSON (as EncodeMutation and
// json.Marshal make them). It does not validate them.
func (d *Data) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	sep := false
	key := func(k string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	if len(d.Fields) > 0 {
		key("fields")
		b = appendRawMap(b, d.Fields)
	}
	if len(d.Cleared) > 0 {
		key("cleared")
		b = AppendStrings(b, d.Cleared)
	}
	if len(d.Added) > 0 {
		key("added")
		b = appendRawMap(b, d.Added)
	}
	if len(d.Edges) > 0 {
		key("edges")
		b = append(b, '{')
		for i, name := range sortedKeys(d.Edges) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, name)
			b = append(b, ':')
			b = d.Edges[name].appendJSON(b)
		}
		b = append(b, '}')
	}
	if len(d.Redacted) > 0 {
		key("redacted")
		b = AppendStrings(b, d.Redacted)
	}
	if d.Upsert {
		key("upsert")
		b = append(b, "true"...)
	}
	return append(b, '}')
}

func (c *EdgeChange) appendJSON(b []byte) []byte {
	if c == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	sep := false
	list := func(k string, vs []json.RawMessage) {
		if len(vs) == 0 {
			return
		}
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':', '[')
		for i, v := range vs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendRaw(b, v)
		}
		b = append(b, ']')
	}
	list("added", c.Added)
	list("removed", c.Removed)
	if c.Cleared {
		if sep {
			b = append(b, ',')
		}
		b = append(b, `"cleared":true`...)
	}
	return append(b, '}')
}

func appendRawMap(b []byte, m map[string]json.RawMessage) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendRaw(b, m[k])
	}
	return append(b, '}')
}

func appendRaw(b []byte, v json.RawMessage) []byte {
	if len(v) == 0 {
		return append(b, "null"...)
	}
	return append(b, v...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
