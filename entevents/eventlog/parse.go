package eventlog

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Replay reads the data of every event: the scanner reads the document in one
// pass, without reflection, and accepts exactly what encoding/json accepts when it
// decodes into a Data with unknown fields disallowed, except duplicate keys, which
// it rejects (see ParseData). Strings with escapes are rare: encoding/json unquotes
// them, so that they read as it reads them.

// maxDepth is encoding/json's limit on the nesting of arrays and objects.
const maxDepth = 10000

// scanner reads JSON text b from offset i.
type scanner struct {
	b []byte
	i int
	// s is b as a string, made on first use when b is at most maxShared
	// bytes: the strings read are its substrings, which saves an allocation
	// each. A larger document is not copied whole for its keys, nor kept
	// alive by them.
	s string
}

// maxShared is the largest document whose strings share one copy of it.
const maxShared = 4096

// ws skips whitespace.
func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// unexpected is the error for the byte at the offset where want was expected.
func (s *scanner) unexpected(want string) error {
	if s.i >= len(s.b) {
		return fmt.Errorf("unexpected end of JSON, want %s", want)
	}
	return fmt.Errorf("invalid character %q at offset %d, want %s", s.b[s.i], s.i, want)
}

// wrongKind is the error for a value of the wrong kind for name.
func (s *scanner) wrongKind(name, want string) error {
	var got string
	switch c := s.peek(); {
	case c == '{':
		got = "an object"
	case c == '[':
		got = "an array"
	case c == '"':
		got = "a string"
	case c == 't' || c == 'f':
		got = "a boolean"
	case c == 'n':
		got = "null"
	case c == '-' || '0' <= c && c <= '9':
		got = "a number"
	default:
		return s.unexpected("a value")
	}
	return fmt.Errorf("%s at offset %d is %s, want %s", name, s.i, got, want)
}

// expect skips whitespace and reads c.
func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return s.unexpected(fmt.Sprintf("%q", c))
	}
	s.i++
	return nil
}

// enter checks the depth of a new array or object inside depth others.
func (s *scanner) enter(depth int) error {
	if depth >= maxDepth {
		return fmt.Errorf("arrays and objects nested deeper than %d at offset %d", maxDepth, s.i)
	}
	return nil
}

// str reads a string literal. plain reports that its content is the string
// itself: no escapes, and valid UTF-8.
func (s *scanner) str() (lit []byte, plain bool, err error) {
	if s.peek() != '"' {
		return nil, false, s.unexpected("a string")
	}
	b, start := s.b, s.i
	plain, ascii := true, true
	for i := start + 1; i < len(b); {
		if asIs[b[i]] {
			i++
			continue
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			lit = b[start:s.i]
			return lit, plain && (ascii || utf8.Valid(lit)), nil
		case c == '\\':
			plain = false
			n := escapeLen(b[i:])
			if n == 0 {
				return nil, false, fmt.Errorf("invalid escape in a string at offset %d", i)
			}
			i += n
		case c < ' ':
			s.i = i
			return nil, false, s.unexpected("a string character")
		default: // a byte of a multi-byte character
			ascii = false
			i++
		}
	}
	s.i = len(b)
	return nil, false, s.unexpected(`'"'`)
}

// asIs marks the bytes that stand for themselves in a string: printable ASCII
// but '"' and '\\'.
var asIs = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escapeLen returns the length of the escape sequence that b starts with, 0 if it
// is invalid.
func escapeLen(b []byte) int {
	if len(b) >= 2 {
		switch b[1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			return 2
		case 'u':
			if len(b) >= 6 && isHex(b[2]) && isHex(b[3]) && isHex(b[4]) && isHex(b[5]) {
				return 6
			}
		}
	}
	return 0
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// text reads a string literal and returns its content as encoding/json unquotes it.
func (s *scanner) text() (string, error) {
	lit, plain, err := s.str()
	if err != nil {
		return "", err
	}
	if plain {
		if len(s.b) > maxShared {
			return string(lit[1 : len(lit)-1]), nil
		}
		if s.s == "" {
			s.s = string(s.b)
		}
		return s.s[s.i-len(lit)+1 : s.i-1], nil
	}
	// Escapes, and invalid UTF-8 that encoding/json replaces with U+FFFD.
	var t string
	err = json.Unmarshal(lit, &t)
	return t, err
}

// number reads a number.
func (s *scanner) number() error {
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if err := s.digits(); err != nil {
		return err
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if err := s.digits(); err != nil {
			return err
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		return s.digits()
	}
	return nil
}

// digits reads one digit or more.
func (s *scanner) digits() error {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == start {
		return s.unexpected("a digit")
	}
	return nil
}

// literal reads true, false or null.
func (s *scanner) literal(word string) error {
	s.ws()
	for j := 0; j < len(word); j++ {
		if s.i >= len(s.b) || s.b[s.i] != word[j] {
			return s.unexpected(fmt.Sprintf("%q", word))
		}
		s.i++
	}
	return nil
}

// object reads an object, calling member for each key with the scanner before
// its value.
func (s *scanner) object(member func(key string) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		key, err := s.text()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.unexpected("',' or '}'")
		}
	}
}

// array reads an array, calling elem with the scanner before each element.
func (s *scanner) array(elem func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.unexpected("',' or ']'")
		}
	}
}

// skip reads any value inside depth arrays and objects.
func (s *scanner) skip(depth int) error {
	switch c := s.peek(); {
	case c == '{':
		if err := s.enter(depth); err != nil {
			return err
		}
		return s.object(func(string) error { return s.skip(depth + 1) })
	case c == '[':
		if err := s.enter(depth); err != nil {
			return err
		}
		return s.array(func() error { return s.skip(depth + 1) })
	case c == '"':
		_, _, err := s.str()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return s.unexpected("a value")
}

// raw reads any value inside depth arrays and objects and returns its text, a
// slice of b that cannot be appended to in place.
func (s *scanner) raw(depth int) (json.RawMessage, error) {
	s.ws()
	start := s.i
	if err := s.skip(depth); err != nil {
		return nil, err
	}
	return s.b[start:s.i:s.i], nil
}

// anyValue reads a value inside depth arrays and objects as encoding/json decodes
// it into an any with UseNumber: maps, slices, strings, json.Number, booleans
// and nil; the last of duplicate keys wins.
func (s *scanner) anyValue(depth int) (any, error) {
	switch c := s.peek(); {
	case c == '{':
		if err := s.enter(depth); err != nil {
			return nil, err
		}
		m := make(map[string]any)
		err := s.object(func(key string) error {
			v, err := s.anyValue(depth + 1)
			m[key] = v
			return err
		})
		return m, err
	case c == '[':
		if err := s.enter(depth); err != nil {
			return nil, err
		}
		a := make([]any, 0)
		err := s.array(func() error {
			v, err := s.anyValue(depth + 1)
			a = append(a, v)
			return err
		})
		return a, err
	case c == '"':
		return s.text()
	case c == 't':
		return true, s.literal("true")
	case c == 'f':
		return false, s.literal("false")
	case c == 'n':
		return nil, s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		start := s.i
		err := s.number()
		return json.Number(s.b[start:s.i]), err
	}
	return nil, s.unexpected("a value")
}

// The keys of the event document and of an edge change, as the json tags of Data
// and EdgeChange name them.
var (
	dataKeys = []string{"fields", "cleared", "added", "edges", "redacted", "upsert"}
	edgeKeys = []string{"added", "removed", "cleared"}
)

// matchKey returns the index of key in names, -1 if none: key is a name or, as
// encoding/json matches the keys of a struct, equal to one under Unicode case
// folding.
func matchKey(key string, names []string) int {
	for i, n := range names {
		if key == n {
			return i
		}
	}
	for i, n := range names {
		if strings.EqualFold(key, n) {
			return i
		}
	}
	return -1
}

// knownKey returns the index of key in names, and marks it in seen: an unknown or
// repeated key is an error.
func knownKey(key string, names []string, seen *uint) (int, error) {
	k := matchKey(key, names)
	if k < 0 {
		return k, fmt.Errorf("unknown key %q", key)
	}
	if *seen&(1<<k) != 0 {
		return k, fmt.Errorf("duplicate key %q", key)
	}
	*seen |= 1 << k
	return k, nil
}

// document reads the event document (the data column) into d. JSON null is an
// empty document, as encoding/json reads it.
func (s *scanner) document(d *Data) error {
	switch s.peek() {
	case 'n':
		if err := s.literal("null"); err != nil {
			return err
		}
	case '{':
		var seen uint
		err := s.object(func(key string) error {
			k, err := knownKey(key, dataKeys, &seen)
			if err != nil {
				return err
			}
			switch dataKeys[k] {
			case "fields":
				return s.rawMap(&d.Fields, key)
			case "cleared":
				return s.stringList(&d.Cleared, key)
			case "added":
				return s.rawMap(&d.Added, key)
			case "edges":
				return s.edges(&d.Edges)
			case "redacted":
				return s.stringList(&d.Redacted, key)
			default:
				return s.boolean(&d.Upsert, "", key)
			}
		})
		if err != nil {
			return err
		}
	default:
		return s.wrongKind("the document", "an object")
	}
	if s.ws(); s.i < len(s.b) {
		return fmt.Errorf("trailing data after the event document at offset %d", s.i)
	}
	return nil
}

// rawMap reads an object of values (fields, added).
func (s *scanner) rawMap(m *map[string]json.RawMessage, name string) error {
	switch s.peek() {
	case 'n':
		*m = nil
		return s.literal("null")
	case '{':
	default:
		return s.wrongKind(keyName("", name), "an object")
	}
	// The values are read first, to make the map at its size.
	type entry struct {
		key   string
		value json.RawMessage
	}
	var buf [16]entry
	entries := buf[:0]
	err := s.object(func(key string) error {
		v, err := s.raw(2)
		entries = append(entries, entry{key, v})
		return err
	})
	if err != nil {
		return err
	}
	values := make(map[string]json.RawMessage, len(entries))
	for _, e := range entries {
		values[e.key] = e.value
	}
	if len(values) < len(entries) {
		for i, e := range entries {
			if slices.ContainsFunc(entries[:i], func(o entry) bool { return o.key == e.key }) {
				return fmt.Errorf("duplicate key %q in %q", e.key, name)
			}
		}
	}
	*m = values
	return nil
}

// stringList reads an array of strings (cleared, redacted). As encoding/json
// does, it reads null for the array as nil, and null for an element as "".
func (s *scanner) stringList(list *[]string, name string) error {
	switch s.peek() {
	case 'n':
		*list = nil
		return s.literal("null")
	case '[':
	default:
		return s.wrongKind(keyName("", name), "an array of strings")
	}
	names := []string{}
	err := s.array(func() error {
		if s.peek() == 'n' {
			names = append(names, "")
			return s.literal("null")
		}
		if s.peek() != '"' {
			return s.wrongKind(fmt.Sprintf("an element of %q", name), "a string")
		}
		t, err := s.text()
		names = append(names, t)
		return err
	})
	*list = names
	return err
}

// edges reads the object of edge changes.
func (s *scanner) edges(m *map[string]*EdgeChange) error {
	switch s.peek() {
	case 'n':
		*m = nil
		return s.literal("null")
	case '{':
	default:
		return s.wrongKind(`"edges"`, "an object")
	}
	changes := make(map[string]*EdgeChange)
	*m = changes
	return s.object(func(name string) error {
		if _, dup := changes[name]; dup {
			return fmt.Errorf("duplicate key %q in \"edges\"", name)
		}
		switch s.peek() {
		case 'n':
			changes[name] = nil
			return s.literal("null")
		case '{':
		default:
			return s.wrongKind(fmt.Sprintf("edge %q", name), "an object")
		}
		c := &EdgeChange{}
		changes[name] = c
		var seen uint
		return s.object(func(key string) error {
			k, err := knownKey(key, edgeKeys, &seen)
			if err != nil {
				return fmt.Errorf("edge %q: %w", name, err)
			}
			switch edgeKeys[k] {
			case "added":
				return s.rawList(&c.Added, name, key)
			case "removed":
				return s.rawList(&c.Removed, name, key)
			default:
				return s.boolean(&c.Cleared, name, key)
			}
		})
	})
}

// rawList reads the array of ids of an edge change.
func (s *scanner) rawList(list *[]json.RawMessage, edge, key string) error {
	switch s.peek() {
	case 'n':
		*list = nil
		return s.literal("null")
	case '[':
	default:
		return s.wrongKind(keyName(edge, key), "an array")
	}
	ids := []json.RawMessage{}
	err := s.array(func() error {
		v, err := s.raw(4)
		ids = append(ids, v)
		return err
	})
	*list = ids
	return err
}

// boolean reads a boolean; as encoding/json does, it ignores null.
func (s *scanner) boolean(v *bool, edge, key string) error {
	switch s.peek() {
	case 't':
		*v = true
		return s.literal("true")
	case 'f':
		*v = false
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return s.wrongKind(keyName(edge, key), "a boolean")
}

// keyName names the key of the document, or of the change of edge, in errors.
func keyName(edge, key string) string {
	if edge == "" {
		return fmt.Sprintf("%q", key)
	}
	return fmt.Sprintf("edge %q: %q", edge, key)
}
