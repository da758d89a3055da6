package eventlog

import (
	"database/sql/driver"
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// appendLiteral appends v as a PostgreSQL literal for a column of kind k, and
// reports false for a value it does not write as a literal (the caller then
// binds parameters instead).
//
// Every literal is plain ASCII, so that the query means the same in any client
// encoding (a multi-byte encoding could otherwise take a quote or backslash for
// the second byte of a character): text is written as an escape string (E'...',
// read the same whatever standard_conforming_strings says) only when it is ASCII
// without NUL; JSON text has its other characters written as \u escapes, which
// jsonb stores as the characters themselves; bytes are written in hex.
func appendLiteral(b []byte, v any, k columnKind) ([]byte, bool) {
	if vr, ok := v.(driver.Valuer); ok {
		dv, err := vr.Value()
		if err != nil {
			return b, false
		}
		v = dv
	}
	switch v := v.(type) {
	case nil:
		return append(b, "NULL"...), true
	case string:
		return appendText(b, v)
	case json.RawMessage:
		return appendLiteral(b, []byte(v), k)
	case []byte:
		switch k {
		case kindJSON:
			return appendJSONText(b, string(v))
		case kindBytes:
			b = append(b, `E'\\x`...)
			b = appendHex(b, v)
			return append(b, "'::bytea"...), true
		}
		return b, false
	case bool:
		if v {
			return append(b, "TRUE"...), true
		}
		return append(b, "FALSE"...), true
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
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return b, false
		}
		return strconv.AppendFloat(b, v, 'g', -1, 64), true
	case time.Time:
		// Parameters are sent in microseconds, truncated: so is the literal
		// (PostgreSQL would round more digits).
		b = append(b, '\'')
		b = v.Truncate(time.Microsecond).AppendFormat(b, "2006-01-02 15:04:05.999999Z07:00")
		return append(b, '\''), true
	}
	return b, false
}

// appendText appends s as an escape string literal; false when s is not ASCII
// or holds NUL.
func appendText(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= utf8.RuneSelf {
			return b, false
		}
	}
	b = append(b, "E'"...)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			b = append(b, "''"...)
		case '\\':
			b = append(b, `\\`...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '\''), true
}

// appendJSONText appends the JSON text s as an escape string literal, its non-ASCII
// characters (which JSON holds only inside strings) written as \u escapes;
// false when s is not valid UTF-8 or holds NUL.
func appendJSONText(b []byte, s string) ([]byte, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return appendText(b, s)
	}
	if !utf8.ValidString(s) {
		return b, false
	}
	e := make([]byte, 0, len(s)+32)
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			e = append(e, byte(r))
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			e = appendU(appendU(e, r1), r2)
		default:
			e = appendU(e, r)
		}
	}
	return appendText(b, string(e))
}

func appendU(b []byte, r rune) []byte {
	const digits = "0123456789abcdef"
	return append(b, '\\', 'u', digits[r>>12&0xf], digits[r>>8&0xf], digits[r>>4&0xf], digits[r&0xf])
}

func appendHex(b, v []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range v {
		b = append(b, digits[c>>4], digits[c&0x0f])
	}
	return b
}
