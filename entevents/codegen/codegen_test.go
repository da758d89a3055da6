package codegen_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"entgo.io/ent"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/entc/load"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents"
	"github.com/entevents/entevents/entevents/codegen"
	"github.com/entevents/entevents/entevents/codegen/testdata/invalid"
	"github.com/entevents/entevents/entevents/codegen/testdata/noeventlog"
	"github.com/entevents/entevents/entevents/codegen/testdata/valid"
)

// newGraph loads schemas the way entc does (load.MarshalSchema is what the
// program entc.LoadGraph builds runs for each schema) into a graph whose output
// goes to a temporary directory.
func newGraph(t *testing.T, schemas ...ent.Interface) *gen.Graph {
	t.Helper()
	g, err := loadGraph(t, schemas...)
	require.NoError(t, err)
	return g
}

func loadGraph(t *testing.T, schemas ...ent.Interface) (*gen.Graph, error) {
	t.Helper()
	ext := codegen.Extension()
	storage, err := gen.NewStorage("sql")
	require.NoError(t, err)
	cfg := &gen.Config{
		Schema:    reflect.TypeOf(schemas[0]).PkgPath(),
		Storage:   storage,
		Package:   "example.com/app/ent",
		Target:    t.TempDir(),
		Features:  []gen.Feature{gen.FeatureUpsert},
		Templates: ext.Templates(),
		Hooks:     ext.Hooks(),
	}
	var specs []*load.Schema
	for _, s := range schemas {
		b, err := load.MarshalSchema(s)
		require.NoError(t, err)
		spec, err := load.UnmarshalSchema(b)
		require.NoError(t, err)
		specs = append(specs, spec)
	}
	return gen.NewGraph(cfg, specs...)
}

// check runs the extension's generate-time checks (its gen hooks) on g without
// generating anything. It reports whether generation would have gone on.
func check(g *gen.Graph) (bool, error) {
	next := false
	var gn gen.Generator = gen.GenerateFunc(func(*gen.Graph) error {
		next = true
		return nil
	})
	hooks := codegen.Extension().Hooks()
	for i := len(hooks) - 1; i >= 0; i-- {
		gn = hooks[i](gn)
	}
	err := gn.Generate(g)
	return next, err
}

func TestGenerateTimeErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		schemas []ent.Interface
		want    []string // substrings of the error; none: no error
	}{
		{"NoEventLog", []ent.Interface{noeventlog.Note{}},
			[]string{"Note", "entevents.Mixin", "no schema declares the event log", "ent/schema/event.go", "entevents.EventLog{}"}},
		{"UUIDRecordIntIDs", []ent.Interface{invalid.NewUUIDRecordLog(), invalid.IntItem{}, invalid.UUIDItem{}},
			[]string{"record_id is UUID", "IntItem", "int ids", "RecordIDString"}},
		{"UUIDRecordUUIDIDs", []ent.Interface{invalid.NewUUIDRecordLog(), invalid.UUIDItem{}}, nil},
		{"Int64RecordStringIDs", []ent.Interface{invalid.NewInt64RecordLog(), invalid.StringItem{}, invalid.IntItem{}},
			[]string{"record_id is int64", "StringItem", "string ids"}},
		{"Int64RecordIntIDs", []ent.Interface{invalid.NewInt64RecordLog(), invalid.IntItem{}}, nil},
		{"UnknownActorEntity", []ent.Interface{invalid.NewActorLog(entevents.EntityActor("owner_id", "Owner")), invalid.IntItem{}},
			[]string{`actor column "owner_id"`, `"Owner"`, "does not exist"}},
		{"ActorTypeMismatch", []ent.Interface{invalid.NewActorLog(entevents.EntityActor("sid", "StringItem")), invalid.StringItem{}},
			[]string{`"sid"`, "StringItem", "string ids", "Actor.Type"}},
		{"ActorStringColumnForStringIDs", []ent.Interface{invalid.NewActorLog(entevents.Actor{Column: "sid", Entity: "StringItem", Type: entevents.ActorString}), invalid.StringItem{}}, nil},
		{"SameEntityTwice", []ent.Interface{invalid.NewActorLog(entevents.EntityActor("a", "IntItem"), entevents.EntityActor("b", "IntItem")), invalid.IntItem{}},
			[]string{`"a"`, `"b"`, "IntItem"}},
		{"TwoSystemColumns", []ent.Interface{invalid.NewActorLog(entevents.SystemActor("job"), entevents.SystemActor("cron")), invalid.IntItem{}},
			[]string{`"job"`, `"cron"`, "entevents.System"}},
		{"SystemColumnNotString", []ent.Interface{invalid.NewActorLog(entevents.Actor{Column: "job", Type: entevents.ActorInt64}), invalid.IntItem{}},
			[]string{`"job"`, "strings"}},
		{"TwoLogs", []ent.Interface{invalid.NewActorLog(), invalid.OtherLog{}, invalid.IntItem{}},
			[]string{"ActorLog", "OtherLog", "both declare"}},
		{"TrackedLog", []ent.Interface{invalid.TrackedLog{}, invalid.IntItem{}},
			[]string{"TrackedLog", "event log", "cannot be tracked"}},
		{"VersionBelowOne", []ent.Interface{invalid.NewActorLog(), invalid.BadVersion{}},
			[]string{"BadVersion", `"create"`, "start at 1"}},
		{"ErrorsTogether", []ent.Interface{invalid.NewUUIDRecordLog(), invalid.IntItem{}, invalid.BadVersion{}},
			[]string{"IntItem", "BadVersion"}},
		{"NotUsed", []ent.Interface{valid.Account{}}, nil},
		{"Valid", []ent.Interface{valid.Event{}, valid.Item{}, valid.Doc{}, valid.Account{}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next, err := check(newGraph(t, tc.schemas...))
			if tc.want == nil {
				require.NoError(t, err)
				require.True(t, next)
				return
			}
			require.Error(t, err)
			require.False(t, next, "nothing is generated")
			require.True(t, strings.HasPrefix(err.Error(), "entevents: "), err.Error())
			for _, s := range tc.want {
				require.Contains(t, err.Error(), s)
			}
		})
	}
}

// TestActorColumnClash: an actor column named like a column of the log is a
// redeclared field for ent.
func TestActorColumnClash(t *testing.T) {
	t.Parallel()
	for _, col := range []string{"entity", "data", "occurred_at"} {
		_, err := loadGraph(t, invalid.NewActorLog(entevents.SystemActor(col)), invalid.IntItem{})
		require.ErrorContains(t, err, `field "`+col+`" redeclared`)
	}
	_, err := loadGraph(t, invalid.NewActorLog(entevents.SystemActor("id")), invalid.IntItem{})
	require.Error(t, err)
	_, err = loadGraph(t, invalid.NewActorLog(entevents.SystemActor("by"), entevents.EntityActor("by", "IntItem")), invalid.IntItem{})
	require.ErrorContains(t, err, `field "by" redeclared`)
}

// TestGenerateValid generates a small project into a temporary directory and
// checks the descriptors: merged annotations, id types, actor columns, deltas.
func TestGenerateValid(t *testing.T) {
	t.Parallel()
	g := newGraph(t, valid.Event{}, valid.Item{}, valid.Doc{}, valid.Account{})
	require.NoError(t, g.Gen())
	path := filepath.Join(g.Target, "entevents.go")
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = parser.ParseFile(token.NewFileSet(), path, src, parser.AllErrors)
	require.NoError(t, err, "generated Go parses")
	out := string(src)
	for _, want := range []string{
		"// Code generated by ent, DO NOT EDIT.",
		"IDType:       field.TypeUUID,",
		"RecordIDType: field.TypeString,",
		`{Column: "account_id", Type: field.TypeString},`,
		`{Column: "item_actor", Type: field.TypeInt64},`,
		`{Column: "job", Type: field.TypeString},`,
		"case *Account:",
		`return "account_id", string(v.ID), true`,
		"case *Item:",
		`return "item_actor", int64(v.ID), true`,
		"case eventlog.System:",
		`return "job", string(v), true`,
		// Versions of the schema and of its mixin merge; the schema wins.
		"Versions: map[string]int{\n\t\t\"create\": 2,\n\t\t\"update\": 3,\n\t},",
		`Ignore: []string{"sync", "import_legacy"},`,
		`Only: []string{"publish", "delete"},`,
		// Deltas decode to the signed type AddField takes.
		"Decode: eventlog.Decoder[uint64](), DecodeAdd: eventlog.Decoder[int64]()",
		"Decode: eventlog.Decoder[uint8](), DecodeAdd: eventlog.Decoder[int8]()",
		"Decode: eventlog.Decoder[float32](), DecodeAdd: eventlog.Decoder[float32]()",
		"Type: field.TypeString, Sensitive: true",
		"Decode: eventlog.JSONDecoder[map[string]interface{}]()",
		"_ eventlog.Mutation = (*ItemMutation)(nil)",
		"_ eventlog.Mutation = (*DocMutation)(nil)",
	} {
		require.True(t, strings.Contains(out, want), "entevents.go lacks %q", want)
	}
	require.NotContains(t, out, "enteventsEntityAccount", "untracked schemas get no descriptor")
	require.NotContains(t, out, "enteventsEntityEvent", "the log is not tracked")

	client, err := os.ReadFile(filepath.Join(g.Target, "client.go"))
	require.NoError(t, err)
	require.Contains(t, string(client), "return enteventsWrapDriver(drv)", "Open wraps its driver")
	require.Contains(t, string(client), "return NewClient(append(options, Driver(enteventsWrap(drv)))...), nil")
}

// TestGenerateWithoutEntevents: a project with the extension but without the
// mixins generates a valid, empty entevents.go, and its Open does not wrap the
// driver. A log without tracked schemas generates its (empty) binding.
func TestGenerateWithoutEntevents(t *testing.T) {
	t.Parallel()
	g := newGraph(t, valid.Account{})
	require.NoError(t, g.Gen())
	path := filepath.Join(g.Target, "entevents.go")
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.AllErrors)
	require.NoError(t, err)
	require.Equal(t, "ent", f.Name.Name)
	require.Empty(t, f.Decls)
	client, err := os.ReadFile(filepath.Join(g.Target, "client.go"))
	require.NoError(t, err)
	require.NotContains(t, string(client), "enteventsWrapDriver")
	require.Contains(t, string(client), "func enteventsWrap(drv dialect.Driver) dialect.Driver {\n\treturn drv\n}")

	g = newGraph(t, invalid.NewActorLog(entevents.SystemActor("job")), invalid.Plain{})
	require.NoError(t, g.Gen())
	src, err = os.ReadFile(filepath.Join(g.Target, "entevents.go"))
	require.NoError(t, err)
	require.Contains(t, string(src), "var enteventsBinding = eventlog.NewBinding(enteventsLog)")
}
