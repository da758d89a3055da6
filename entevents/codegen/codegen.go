package codegen

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/schema/field"

	"github.com/entevents/entevents/entevents/mixin"
)

//go:embed template/*.tmpl
var templateFS embed.FS

// Extension returns the entevents extension for entc.Extensions.
func Extension() entc.Extension { return extension{} }

type extension struct{ entc.DefaultExtension }

func (extension) Templates() []*gen.Template {
	return []*gen.Template{
		gen.MustParse(gen.NewTemplate("entevents").
			Funcs(template.FuncMap{
				"enteventsModel": modelOf,
			}).
			ParseFS(templateFS, "template/*.tmpl")),
	}
}

func (extension) Hooks() []gen.Hook {
	return []gen.Hook{func(next gen.Generator) gen.Generator {
		return gen.GenerateFunc(func(g *gen.Graph) error {
			if _, err := buildModel(g); err != nil {
				return err
			}
			return next.Generate(g)
		})
	}}
}

// Model is the template data of entevents.go.
type Model struct {
	Log     *gen.Type
	Options mixin.LogAnnotation
	Tracked []*Tracked
	Actors  []ActorModel
}

// Tracked is a tracked entity and its annotations.
type Tracked struct {
	*gen.Type
	Versions map[string]int
	Ignore   []string
	Only     []string
}

// ActorModel is an actor column resolved against the graph.
type ActorModel struct {
	mixin.Actor
	Node *gen.Type // nil for System actors
}

// Convert returns the Go expression converting the entity's id to the column type.
func (a ActorModel) Convert(expr string) string {
	switch a.Type {
	case mixin.ActorInt64:
		return "int64(" + expr + ")"
	case mixin.ActorString:
		if a.Node != nil && a.Node.ID.Type.Type != field.TypeString {
			return "fmt.Sprint(" + expr + ")"
		}
		return "string(" + expr + ")"
	default:
		return expr
	}
}

func modelOf(g *gen.Graph) (*Model, error) { return buildModel(g) }

func decodeAnnotation(n *gen.Type, name string, v any) (bool, error) {
	raw, ok := n.Annotations[name]
	if !ok || raw == nil {
		return false, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("entevents: schema %s: annotation %s: %w", n.Name, name, err)
	}
	return true, nil
}

func buildModel(g *gen.Graph) (*Model, error) {
	m := &Model{}
	var errs []error
	for _, n := range g.Nodes {
		var a mixin.LogAnnotation
		isLog, err := decodeAnnotation(n, mixin.LogName, &a)
		if err != nil {
			return nil, err
		}
		if isLog {
			if m.Log != nil {
				return nil, fmt.Errorf("entevents: schemas %s and %s both declare entevents.EventLog: keep one", m.Log.Name, n.Name)
			}
			m.Log, m.Options = n, a
		}
		if _, tracked := n.Annotations[mixin.TrackedName]; !tracked {
			continue
		}
		t := &Tracked{Type: n}
		if _, err := decodeAnnotation(n, mixin.VersionsName, &t.Versions); err != nil {
			return nil, err
		}
		var ig mixin.IgnoreAnnotation
		if _, err := decodeAnnotation(n, mixin.IgnoreName, &ig); err != nil {
			return nil, err
		}
		var only mixin.OnlyAnnotation
		if _, err := decodeAnnotation(n, mixin.OnlyName, &only); err != nil {
			return nil, err
		}
		t.Ignore, t.Only = ig.Actions, only.Actions
		for action, v := range t.Versions {
			if v < 1 {
				errs = append(errs, fmt.Errorf("entevents: schema %s: version of action %q is %d; versions start at 1", n.Name, action, v))
			}
		}
		if !n.HasOneFieldID() {
			errs = append(errs, fmt.Errorf("entevents: schema %s: tracked entities need a single-field id (edge schemas with composite ids are not supported)", n.Name))
		}
		for _, e := range n.Edges {
			if e.Through != nil {
				errs = append(errs, fmt.Errorf("entevents: schema %s: edge %q uses edge.Through, which entevents does not record yet", n.Name, e.Name))
			}
		}
		m.Tracked = append(m.Tracked, t)
	}
	if len(m.Tracked) == 0 && m.Log == nil {
		return m, nil
	}
	if m.Log == nil {
		names := make([]string, len(m.Tracked))
		for i, t := range m.Tracked {
			names[i] = t.Name
		}
		return nil, fmt.Errorf("entevents: %s use entevents.Mixin but no schema declares the event log: add ent/schema/event.go with\n\n\ttype Event struct{ ent.Schema }\n\n\tfunc (Event) Mixin() []ent.Mixin { return []ent.Mixin{entevents.EventLog{}} }", strings.Join(names, ", "))
	}
	for _, t := range m.Tracked {
		if t.Type == m.Log {
			errs = append(errs, fmt.Errorf("entevents: schema %s is the event log and cannot be tracked: remove entevents.Mixin from it", t.Name))
			continue
		}
		if !t.HasOneFieldID() {
			continue
		}
		idt := t.ID.Type.Type
		switch m.Options.RecordIDType {
		case mixin.RecordIDUUID:
			if idt != field.TypeUUID {
				errs = append(errs, fmt.Errorf("entevents: record_id is UUID but schema %s has %s ids: use RecordIDString", t.Name, idt))
			}
		case mixin.RecordIDInt64:
			if !idt.Integer() {
				errs = append(errs, fmt.Errorf("entevents: record_id is int64 but schema %s has %s ids: use RecordIDString", t.Name, idt))
			}
		}
	}
	// (Actor column names that clash with each other or with the log's columns are
	// reported by ent as redeclared fields.)
	entities := map[string]string{} // entity -> its actor column
	system := ""                    // the System actor column
	for _, a := range m.Options.Actors {
		am := ActorModel{Actor: a}
		if a.Entity == "" {
			switch {
			case a.Type != mixin.ActorString:
				errs = append(errs, fmt.Errorf("entevents: actor column %q holds entevents.System actors, which are strings, but is %s: use SystemActor or set Entity", a.Column, a.Type))
			case system != "":
				errs = append(errs, fmt.Errorf("entevents: actor columns %q and %q both hold entevents.System actors: keep one", system, a.Column))
			default:
				system = a.Column
			}
		} else if prev, ok := entities[a.Entity]; ok {
			errs = append(errs, fmt.Errorf("entevents: actor columns %q and %q both hold %s actors: WithActor could not tell which to fill; keep one", prev, a.Column, a.Entity))
		} else {
			entities[a.Entity] = a.Column
		}
		if a.Entity != "" {
			for _, n := range g.Nodes {
				if n.Name == a.Entity {
					am.Node = n
				}
			}
			switch {
			case am.Node == nil:
				errs = append(errs, fmt.Errorf("entevents: actor column %q names schema %q, which does not exist", a.Column, a.Entity))
			case !am.Node.HasOneFieldID():
				errs = append(errs, fmt.Errorf("entevents: actor column %q: schema %s has no single-field id", a.Column, a.Entity))
			case a.Type == mixin.ActorInt64 && !am.Node.ID.Type.Type.Integer(),
				a.Type == mixin.ActorUUID && am.Node.ID.Type.Type != field.TypeUUID:
				errs = append(errs, fmt.Errorf("entevents: actor column %q is %s but schema %s has %s ids: set Actor.Type", a.Column, a.Type, a.Entity, am.Node.ID.Type.Type))
			}
		}
		m.Actors = append(m.Actors, am)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}
