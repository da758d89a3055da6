// Package hook holds the ent mutation hook that records an event for every create,
// update and delete of a tracked entity, in the mutation's own transaction.
//
// Schemas get it through entevents.Mixin; import it directly only to install the
// hook yourself. Examples alias it (enthook) because it clashes with the generated
// ent/hook package.
package hook
