package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/internal/testdb"
)

func TestDemo(t *testing.T) {
	t.Setenv("ENTEVENTS_KEYS", "")
	cases := map[string]func(t *testing.T) (dsn, sqlite string){
		"sqlite": func(t *testing.T) (string, string) { return "", filepath.Join(t.TempDir(), "demo.db") },
		"postgres": func(t *testing.T) (string, string) {
			empty := testdb.Migrator{Key: "entevents-empty", Run: func(context.Context, *sql.DB) error { return nil }}
			return testdb.Postgres(t, empty), ""
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			dsn, path := setup(t)
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), &out, dsn, path))
			s := out.String()
			for _, want := range []string{
				"published 2 posts in one bulk update",
				"unknown actor refused: true",
				"system:seed-job",
				"register",
				"upsert",
				`{"ip":"203.0.113.9","request_id":"req-7f3a"}`,
				"[##############################] 15/15 events",
				`post 1 "Event sourcing with ent"    draft`,
				`post 1 "Event sourcing with ent"    published`,
				"legacy v1 user restored by the route: 100 Grace Hopper <grace@example.com>",
			} {
				require.Contains(t, s, want)
			}
		})
	}
}
