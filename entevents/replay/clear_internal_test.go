package replay

import (
	"testing"

	"entgo.io/ent/dialect/sql/sqlgraph"
	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/example/ent"
)

func TestClearOrder(t *testing.T) {
	t.Parallel()
	// entity returns an entity named like its table with edges to targets:
	// "M2O:x" holds a foreign key to x, "O2M:x" is referenced by x, "M2M:x"
	// goes through the join table x_join.
	entity := func(name string, edges ...[2]string) *eventlog.Entity {
		e := &eventlog.Entity{Name: name, Table: name}
		for _, ed := range edges {
			rel, target := ed[0], ed[1]
			switch rel {
			case "M2O":
				e.Edges = append(e.Edges, &eventlog.Edge{Name: target, Target: target, Rel: sqlgraph.M2O, Inverse: true, Table: name, Columns: []string{target + "_id"}})
			case "O2OInverse":
				e.Edges = append(e.Edges, &eventlog.Edge{Name: target, Target: target, Rel: sqlgraph.O2O, Inverse: true, Unique: true, Table: name, Columns: []string{target + "_id"}})
			case "O2M":
				e.Edges = append(e.Edges, &eventlog.Edge{Name: target, Target: target, Rel: sqlgraph.O2M, Table: target, Columns: []string{name + "_id"}})
			case "O2O":
				e.Edges = append(e.Edges, &eventlog.Edge{Name: target, Target: target, Rel: sqlgraph.O2O, Unique: true, Table: target, Columns: []string{name + "_id"}})
			case "M2M":
				e.Edges = append(e.Edges, &eventlog.Edge{Name: target, Target: target, Rel: sqlgraph.M2M, Table: target + "_join", Columns: []string{"a", "b"}})
			}
		}
		return e
	}
	tests := []struct {
		name     string
		entities []*eventlog.Entity
		want     []string
	}{
		{
			name:     "Independent",
			entities: []*eventlog.Entity{entity("b"), entity("a")},
			want:     []string{"a", "b"},
		},
		{
			name: "ChainDeclaredOnBothSides",
			entities: []*eventlog.Entity{
				entity("a", [2]string{"O2M", "b"}),
				entity("b", [2]string{"M2O", "a"}, [2]string{"O2O", "c"}),
				entity("c", [2]string{"O2OInverse", "b"}),
			},
			want: []string{"c", "b", "a"},
		},
		{
			name: "JoinTablesFirst",
			entities: []*eventlog.Entity{
				entity("a", [2]string{"M2M", "b"}, [2]string{"M2M", "a"}),
				entity("b", [2]string{"M2M", "b"}),
			},
			want: []string{"a_join", "b_join", "a", "b"},
		},
		{
			name: "SelfReferenceAndUntrackedTarget",
			entities: []*eventlog.Entity{
				entity("a", [2]string{"M2O", "a"}, [2]string{"M2O", "untracked"}),
				entity("b", [2]string{"M2O", "a"}),
			},
			want: []string{"b", "a"},
		},
		{
			name: "Cycle",
			entities: []*eventlog.Entity{
				entity("a", [2]string{"M2O", "b"}),
				entity("b", [2]string{"M2O", "c"}),
				entity("c", [2]string{"M2O", "b"}),
				entity("d", [2]string{"M2O", "a"}),
			},
			want: []string{"d", "a", "b", "c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, ClearOrder(eventlog.NewBinding(&eventlog.Log{}, tt.entities...)))
		})
	}
	t.Run("Example", func(t *testing.T) {
		t.Parallel()
		require.Equal(t, []string{"post_tags", "comments", "posts", "profiles", "tags", "users"}, ClearOrder(ent.Entevents()))
	})
}
