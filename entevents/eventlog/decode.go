package eventlog

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"time"
	"unsafe"

	"github.com/google/uuid"
)

// Replay decodes every value of every event: these decoders read the JSON forms of
// the common types without reflection or encoding/json, into the value that
// json.Unmarshal gives. They report false for any text they do not read exactly
// as json.Unmarshal does, every text it rejects included: the caller then falls
// back to json.Unmarshal, for its result and its error.

// fastDecoder returns the decoder of T's JSON form for Decoder, or nil for the
// types left to json.Unmarshal.
func fastDecoder[T any]() func([]byte) (any, bool) {
	t := reflect.TypeFor[T]()
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		return nil
	}
	// json.Unmarshal looks for the methods of *T before T's kind. It passes
	// UnmarshalJSON a string's text as it is, UnmarshalText its content. (For the
	// common types, calling the method directly keeps the value off the heap.)
	switch any((*T)(nil)).(type) {
	case *time.Time:
		return func(raw []byte) (any, bool) {
			var t time.Time
			if _, ok := plainString(raw); !ok || t.UnmarshalJSON(raw) != nil {
				return nil, false
			}
			return t, true
		}
	case *uuid.UUID:
		return func(raw []byte) (any, bool) {
			var u uuid.UUID
			if text, ok := plainString(raw); !ok || u.UnmarshalText(text) != nil {
				return nil, false
			}
			return u, true
		}
	case json.Unmarshaler:
		return func(raw []byte) (any, bool) {
			var v T
			if _, ok := plainString(raw); !ok || any(&v).(json.Unmarshaler).UnmarshalJSON(raw) != nil {
				return nil, false
			}
			return v, true
		}
	case encoding.TextUnmarshaler:
		return func(raw []byte) (any, bool) {
			var v T
			if text, ok := plainString(raw); !ok || any(&v).(encoding.TextUnmarshaler).UnmarshalText(text) != nil {
				return nil, false
			}
			return v, true
		}
	}
	switch t.Kind() {
	case reflect.String:
		if t == reflect.TypeFor[json.Number]() {
			return nil // json.Unmarshal checks its syntax
		}
		// string, and named strings such as ent enums.
		return func(raw []byte) (any, bool) {
			s, ok := plainString(raw)
			if !ok {
				return nil, false
			}
			return as[T](string(s)), true
		}
	case reflect.Bool:
		return func(raw []byte) (any, bool) {
			switch string(raw) {
			case "true":
				return as[T](true), true
			case "false":
				return as[T](false), true
			}
			return nil, false
		}
	case reflect.Int:
		return intDecoder[T, int]()
	case reflect.Int8:
		return intDecoder[T, int8]()
	case reflect.Int16:
		return intDecoder[T, int16]()
	case reflect.Int32:
		return intDecoder[T, int32]()
	case reflect.Int64:
		return intDecoder[T, int64]()
	case reflect.Uint:
		return uintDecoder[T, uint]()
	case reflect.Uint8:
		return uintDecoder[T, uint8]()
	case reflect.Uint16:
		return uintDecoder[T, uint16]()
	case reflect.Uint32:
		return uintDecoder[T, uint32]()
	case reflect.Uint64:
		return uintDecoder[T, uint64]()
	case reflect.Uintptr:
		return uintDecoder[T, uintptr]()
	case reflect.Float32:
		return floatDecoder[T, float32]()
	case reflect.Float64:
		return floatDecoder[T, float64]()
	case reflect.Slice:
		if t.Elem().Kind() != reflect.Uint8 {
			return nil
		}
		// []byte: standard base64 in a string, or null.
		return func(raw []byte) (any, bool) {
			if string(raw) == "null" {
				var zero T
				return zero, true
			}
			s, ok := plainString(raw)
			if !ok {
				return nil, false
			}
			b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
			n, err := base64.StdEncoding.Decode(b, s)
			if err != nil {
				return nil, false
			}
			return as[T](b[:n]), true
		}
	}
	return nil
}

// as returns b as a T. The caller checks with reflect that B is T's underlying
// type: the two then have the same memory layout.
func as[T, B any](b B) T { return *(*T)(unsafe.Pointer(&b)) }

// intDecoder decodes an integer in the range of B, T's underlying type.
func intDecoder[T any, B int | int8 | int16 | int32 | int64]() func([]byte) (any, bool) {
	return func(raw []byte) (any, bool) {
		n, ok := parseInt(raw)
		if !ok || int64(B(n)) != n {
			return nil, false
		}
		return as[T](B(n)), true
	}
}

// uintDecoder decodes a non-negative integer in the range of B, T's underlying
// type.
func uintDecoder[T any, B uint | uint8 | uint16 | uint32 | uint64 | uintptr]() func([]byte) (any, bool) {
	return func(raw []byte) (any, bool) {
		n, ok := parseUint(raw)
		if !ok || uint64(B(n)) != n {
			return nil, false
		}
		return as[T](B(n)), true
	}
}

// floatDecoder decodes a number into B, T's underlying type, as json.Unmarshal
// does: strconv.ParseFloat with B's size.
func floatDecoder[T any, B float32 | float64]() func([]byte) (any, bool) {
	bits := int(unsafe.Sizeof(B(0))) * 8
	return func(raw []byte) (any, bool) {
		if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
			return nil, false
		}
		s := scanner{b: raw}
		if s.number() != nil || s.i != len(raw) {
			return nil, false
		}
		f, err := strconv.ParseFloat(string(raw), bits)
		if err != nil {
			return nil, false
		}
		return as[T](B(f)), true
	}
}

// parseInt reads raw as a JSON integer in the range of int64.
func parseInt(raw []byte) (int64, bool) {
	if len(raw) > 0 && raw[0] == '-' {
		u, ok := parseUint(raw[1:])
		if !ok || u > 1<<63 {
			return 0, false
		}
		return -int64(u), true // -(1<<63) wraps to itself, math.MinInt64
	}
	u, ok := parseUint(raw)
	if !ok || u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// parseUint reads raw as a JSON integer without sign (0, or digits that do not
// start with 0) in the range of uint64.
func parseUint(raw []byte) (uint64, bool) {
	if len(raw) == 0 || len(raw) > 1 && raw[0] == '0' {
		return 0, false
	}
	var n uint64
	for _, c := range raw {
		d := uint64(c - '0')
		if d > 9 || n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// plainString returns the content of raw when raw is a string literal whose
// content needs no unquoting: no escapes, and valid UTF-8.
func plainString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	s := scanner{b: raw}
	lit, plain, err := s.str()
	if err != nil || !plain || s.i != len(raw) {
		return nil, false
	}
	return lit[1 : len(lit)-1], true
}

// fastJSONDecoder returns the decoder of T's JSON form for JSONDecoder, or nil
// for the types left to the json.Decoder.
func fastJSONDecoder[T any]() func([]byte) (any, bool) {
	switch any((*T)(nil)).(type) {
	case *any, *map[string]any, *[]any:
		// Untyped JSON.
		return func(raw []byte) (any, bool) {
			s := scanner{b: raw}
			v, err := s.anyValue(0)
			if s.ws(); err != nil || s.i != len(raw) {
				return nil, false
			}
			if v == nil {
				var zero T // null leaves the value as it was
				return zero, true
			}
			t, ok := v.(T)
			return t, ok
		}
	}
	if hasInterface(reflect.TypeFor[T](), map[reflect.Type]bool{}) {
		return nil
	}
	// UseNumber changes only what interfaces hold: without them, json.Unmarshal
	// decodes one value as the json.Decoder does, without its buffers.
	return func(raw []byte) (any, bool) {
		var v T
		if json.Unmarshal(raw, &v) != nil {
			return nil, false
		}
		return v, true
	}
}

// hasInterface reports whether a value of type t can hold an interface.
func hasInterface(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return hasInterface(t.Elem(), seen)
	case reflect.Map:
		return hasInterface(t.Key(), seen) || hasInterface(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if hasInterface(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}
