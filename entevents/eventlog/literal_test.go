package eventlog

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/internal/testdb"
)

// literalTable is a table with a column of every kind the writer inlines.
var literalTable = testdb.Migrator{
	Key: "entevents-literal-v1",
	Run: func(ctx context.Context, db *sql.DB) error {
		_, err := db.ExecContext(ctx, `CREATE TABLE lit (n serial PRIMARY KEY, t text, j jsonb, b bytea, i bigint, f float8, ok boolean, at timestamptz, u uuid)`)
		return err
	},
}

// TestLiteralsReadBackAsParameters writes values as literals and as bound
// parameters and reads both back: they must be equal. Values without a literal
// form (non-ASCII or NUL text, invalid UTF-8 JSON) are refused.
func TestLiteralsReadBackAsParameters(t *testing.T) {
	t.Parallel()
	db := testdb.OpenPostgres(t, literalTable)
	ctx := context.Background()
	texts := []string{"", "plain", "it's", `back\slash`, `\'; DROP TABLE lit; --`, "$$", "$1", "tab\tnew\nline", "E'x'"}
	jsons := []string{`{}`, `{"a":"it's"}`, `{"a":"\\u00e9 \\\" \\\\"}`, `{"name":"Zoë 日本 🎉","n":9007199254740993}`, `["é","\u2028"]`}
	bytes := [][]byte{{}, {0}, []byte(`\x00'`), func() []byte {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}()}
	at := time.Date(2026, 11, 23, 19, 1, 2, 123456789, time.FixedZone("", 5*3600+1800))
	id := uuid.MustParse("0193b5c8-7a1e-7cde-9f00-0123456789ab")

	type row struct {
		t  sql.NullString
		j  []byte
		b  []byte
		i  sql.NullInt64
		f  sql.NullFloat64
		ok sql.NullBool
		at sql.NullTime
		u  sql.NullString
	}
	read := func(n int64) row {
		var r row
		require.NoError(t, db.QueryRowContext(ctx, `SELECT t, j, b, i, f, ok, at, u::text FROM lit WHERE n = $1`, n).
			Scan(&r.t, &r.j, &r.b, &r.i, &r.f, &r.ok, &r.at, &r.u))
		return r
	}
	// check inserts v into column col both ways and compares what is read back.
	check := func(col string, v any, k columnKind) {
		t.Helper()
		lit, ok := appendLiteral(nil, v, k)
		require.True(t, ok, "%s %#v has a literal", col, v)
		for _, c := range lit {
			require.Less(t, c, byte(utf8.RuneSelf), "literal of %#v is ASCII: %s", v, lit)
		}
		var byLit, byParam int64
		require.NoError(t, db.QueryRowContext(ctx, `INSERT INTO lit (`+col+`) VALUES (`+string(lit)+`) RETURNING n`).Scan(&byLit), "%s", lit)
		require.NoError(t, db.QueryRowContext(ctx, `INSERT INTO lit (`+col+`) VALUES ($1) RETURNING n`, v).Scan(&byParam))
		require.Equal(t, read(byParam), read(byLit), "%s %#v: %s", col, v, lit)
	}
	for _, s := range texts {
		check("t", s, kindValue)
	}
	for _, s := range jsons {
		check("j", json.RawMessage(s), kindJSON)
	}
	for _, b := range bytes {
		check("b", b, kindBytes)
	}
	for _, v := range []any{0, -1, int64(-9223372036854775808), int32(7), uint16(9), uint64(1 << 62)} {
		check("i", v, kindValue)
	}
	for _, v := range []any{0.0, -1.5, 1e300, 5e-324, 0.1} {
		check("f", v, kindValue)
	}
	check("ok", true, kindValue)
	check("ok", false, kindValue)
	check("at", at, kindValue)
	check("at", at.UTC(), kindValue)
	check("u", id, kindValue)
	check("t", nil, kindValue)

	for _, v := range []any{"Zoë", "nul\x00", []byte("x"), struct{}{}} {
		_, ok := appendLiteral(nil, v, kindValue)
		require.False(t, ok, "%#v has no literal", v)
	}
	_, ok := appendLiteral(nil, json.RawMessage("{\"a\":\"\xff\"}"), kindJSON)
	require.False(t, ok, "invalid UTF-8 JSON has no literal")
}

// TestLiteralsUnderMultiByteEncoding runs a literal made of text that ends in
// the lead byte of a two-byte SJIS character followed by a backslash and a
// quote, on a connection whose client encoding is SJIS: the literal is ASCII, so
// it cannot be read another way, and the value comes back unchanged.
func TestLiteralsUnderMultiByteEncoding(t *testing.T) {
	t.Parallel()
	db := testdb.OpenPostgres(t, literalTable)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	// "ā" is C4 81 in UTF-8; 81 5C is one character in SJIS.
	doc := json.RawMessage(`{"a":"ā\\'; DROP TABLE lit; --"}`)
	lit, ok := appendLiteral(nil, doc, kindJSON)
	require.True(t, ok)
	_, err = conn.ExecContext(ctx, `SET client_encoding = 'SJIS'`)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, `INSERT INTO lit (j) VALUES (`+string(lit)+`)`)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, `SET client_encoding = 'UTF8'`)
	require.NoError(t, err)
	var got string
	require.NoError(t, conn.QueryRowContext(ctx, `SELECT j->>'a' FROM lit`).Scan(&got))
	require.Equal(t, `ā\'; DROP TABLE lit; --`, got)
}
