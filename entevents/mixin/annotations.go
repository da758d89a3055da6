package mixin

import (
	"slices"

	"entgo.io/ent/schema"
)

// Annotation names, as the code generator reads them.
const (
	TrackedName  = "EnteventsTracked"
	VersionsName = "EnteventsVersions"
	IgnoreName   = "EnteventsIgnore"
	OnlyName     = "EnteventsOnly"
	LogName      = "EnteventsLog"
)

// TrackedAnnotation marks a schema as tracked; Tracked adds it.
type TrackedAnnotation struct{}

// Name implements schema.Annotation.
func (TrackedAnnotation) Name() string { return TrackedName }

// Versions sets the current version of actions of a tracked schema, by action
// name. Actions not listed are at version 1. Versions from a mixin and from the
// schema merge; the schema's win.
type Versions map[string]int

// Name implements schema.Annotation.
func (Versions) Name() string { return VersionsName }

// Merge implements schema.Merger.
func (v Versions) Merge(other schema.Annotation) schema.Annotation {
	o, ok := other.(Versions)
	if !ok {
		if p, isPtr := other.(*Versions); isPtr && p != nil {
			o, ok = *p, true
		}
	}
	if !ok {
		return v
	}
	merged := make(Versions, len(v)+len(o))
	for k, n := range v {
		merged[k] = n
	}
	for k, n := range o {
		merged[k] = n
	}
	return merged
}

// IgnoreAnnotation lists actions that run but are never recorded; Ignore makes one.
type IgnoreAnnotation struct {
	Actions []string `json:"actions"`
}

// Ignore returns an annotation whose actions are executed but not recorded, such as
// legacy actions that only replay routes call.
func Ignore(actions ...string) IgnoreAnnotation { return IgnoreAnnotation{Actions: actions} }

// Name implements schema.Annotation.
func (IgnoreAnnotation) Name() string { return IgnoreName }

// Merge implements schema.Merger: the union of both lists.
func (a IgnoreAnnotation) Merge(other schema.Annotation) schema.Annotation {
	if o, ok := other.(IgnoreAnnotation); ok {
		return IgnoreAnnotation{Actions: union(a.Actions, o.Actions)}
	}
	return a
}

// OnlyAnnotation lists the only actions that are recorded; Only makes one.
type OnlyAnnotation struct {
	Actions []string `json:"actions"`
}

// Only returns an annotation under which only the given actions are recorded.
func Only(actions ...string) OnlyAnnotation { return OnlyAnnotation{Actions: actions} }

// Name implements schema.Annotation.
func (OnlyAnnotation) Name() string { return OnlyName }

// Merge implements schema.Merger: the union of both lists.
func (a OnlyAnnotation) Merge(other schema.Annotation) schema.Annotation {
	if o, ok := other.(OnlyAnnotation); ok {
		return OnlyAnnotation{Actions: union(a.Actions, o.Actions)}
	}
	return a
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

var (
	_ schema.Merger = Versions(nil)
	_ schema.Merger = IgnoreAnnotation{}
	_ schema.Merger = OnlyAnnotation{}
)
