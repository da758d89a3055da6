package eventlog

import (
	"database/sql"
	"fmt"
)

// TrackNulls wraps the scan destinations of a row (as generated scanValues
// returns them: *[]byte or sql.Scanner values) so that the row can be scanned
// with dest and null(i) then reports whether column i was SQL NULL. Internal:
// used by the generated EnteventsRow.
//
// It exists because the destination alone cannot tell: a zero-length BLOB that
// SQLite returns as a nil []byte and a NULL both leave a nil *[]byte, and an
// upsert recorded with the empty value as cleared would be replayed as NULL.
func TrackNulls(values []any) (dest []any, null func(i int) bool) {
	trackers := make([]nullTracker, len(values))
	dest = make([]any, len(values))
	for i, v := range values {
		trackers[i].dest = v
		dest[i] = &trackers[i]
	}
	return dest, func(i int) bool { return trackers[i].null }
}

// nullTracker scans into dest and records whether the value was NULL.
type nullTracker struct {
	dest any
	null bool
}

var _ sql.Scanner = (*nullTracker)(nil)

func (t *nullTracker) Scan(src any) error {
	t.null = src == nil
	switch d := t.dest.(type) {
	case sql.Scanner:
		return d.Scan(src)
	case *[]byte:
		switch s := src.(type) {
		case nil:
			*d = nil
		case []byte:
			*d = append([]byte{}, s...) // not nil, even when empty
		case string:
			*d = []byte(s)
		default:
			return fmt.Errorf("entevents: cannot scan %T into %T", src, t.dest)
		}
		return nil
	case *any:
		if b, ok := src.([]byte); ok {
			src = append([]byte{}, b...)
		}
		*d = src
		return nil
	}
	return fmt.Errorf("entevents: cannot scan %T into %T", src, t.dest)
}
