// Package mixin holds the ent schema mixins and annotations of entevents: Tracked
// (entevents.Mixin) for entities whose mutations are recorded, EventLog
// (entevents.EventLog) for the Event entity that stores them, and the Versions,
// Ignore and Only annotations. The entevents package re-exports all of them.
package mixin
