package eventlog

import "context"

type (
	actorKey     struct{}
	metadataKey  struct{}
	actionKey    struct{}
	replayingKey struct{}
)

// WithActor returns a context whose tracked mutations record actor as the one who
// performed them. The value must match one of the actor columns of the event log;
// a nil entity pointer records no actor.
func WithActor(ctx context.Context, actor any) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor set by WithActor, or nil.
func ActorFrom(ctx context.Context) any { return ctx.Value(actorKey{}) }

// WithMetadata returns a context whose tracked mutations record metadata, a JSON
// object, on their events. Later calls replace earlier ones.
func WithMetadata(ctx context.Context, metadata map[string]any) context.Context {
	return context.WithValue(ctx, metadataKey{}, metadata)
}

// MetadataFrom returns the metadata set by WithMetadata, or nil.
func MetadataFrom(ctx context.Context) map[string]any {
	m, _ := ctx.Value(metadataKey{}).(map[string]any)
	return m
}

// WithAction returns a context whose tracked mutations record action as their action
// name instead of the operation name (create, update, delete).
func WithAction(ctx context.Context, action string) context.Context {
	return context.WithValue(ctx, actionKey{}, action)
}

// ActionFrom returns the action name set by WithAction, or "".
func ActionFrom(ctx context.Context) string {
	a, _ := ctx.Value(actionKey{}).(string)
	return a
}

// WithReplaying marks ctx as running inside a replay: the capture hook records
// nothing for mutations made with it.
func WithReplaying(ctx context.Context) context.Context {
	return context.WithValue(ctx, replayingKey{}, true)
}

// IsReplaying reports whether ctx belongs to a running replay.
func IsReplaying(ctx context.Context) bool {
	v, _ := ctx.Value(replayingKey{}).(bool)
	return v
}

// System is an actor that is not an entity, such as a background job. It is stored
// in the event log's string actor column.
type System string
