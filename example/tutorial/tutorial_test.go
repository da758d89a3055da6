package tutorial_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	"entgo.io/ent/dialect"
	sqlite "modernc.org/sqlite"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/event"
	"github.com/entevents/entevents/example/tutorial"
	"github.com/entevents/entevents/internal/fixture"
	"github.com/entevents/entevents/internal/testdb"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	fixture.Each(t, func(t *testing.T, db *fixture.DB) {
		ctx := context.Background()
		admin := db.Client.User.Create().SetName("Admin").SetEmail("admin@example.com").SaveX(ctx)
		u, err := tutorial.Register(ctx, db.Client, admin, "req-1")
		require.NoError(t, err)
		ev := db.Client.Event.Query().Where(event.Action("register")).OnlyX(ctx)
		require.Equal(t, "User", ev.Entity)
		require.Equal(t, int64(admin.ID), *ev.UserID)
		require.JSONEq(t, `{"request_id":"req-1"}`, string(ev.Metadata))
		require.Equal(t, u.ID, 2)
	})
}

func TestOpenEncrypted(t *testing.T) {
	key, err := entevents.GenerateKey("k1")
	require.NoError(t, err)
	t.Setenv("ENTEVENTS_KEYS", key.Encode())
	dsn := testdb.Postgres(t, fixture.Migrator())
	client, err := tutorial.OpenEncrypted(dsn)
	require.NoError(t, err)
	defer client.Close()
	ctx := context.Background()
	client.Tag.Create().SetName("secret-marker").ExecX(ctx)
	ev := client.Event.Query().OnlyX(ctx)
	require.Nil(t, ev.Data, "data is stored only encrypted")
	require.NotEmpty(t, *ev.EncryptedData)
	require.NotContains(t, string(*ev.EncryptedData), "secret-marker")
}

// TestGeneratedOpenWrapsTheDriver checks that the ent.Open generated with the
// entevents extension wraps its driver: a tracked write outside a transaction is
// recorded instead of refused with ErrDriverNotWrapped.
func TestGeneratedOpenWrapsTheDriver(t *testing.T) {
	registerSQLite3.Do(func() { sql.Register("sqlite3", &sqlite.Driver{}) })
	client, err := ent.Open(dialect.SQLite, testdb.SQLiteDSN(t))
	require.NoError(t, err)
	defer client.Close()
	ctx := context.Background()
	require.NoError(t, client.Schema.Create(ctx))
	require.NoError(t, client.Tag.Create().SetName("opened").Exec(ctx))
	require.Equal(t, 1, client.Event.Query().CountX(ctx))
}

var registerSQLite3 sync.Once
