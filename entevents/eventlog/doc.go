// Package eventlog is the runtime shared by the code that entevents generates, the
// capture hook and the replay engine: entity descriptors, the event data codec,
// context values, the driver wrapper that makes writes atomic, and the batched,
// ordered event writer.
//
// Applications use the facade package entevents; this package is its engine room.
// The descriptor types (Binding, Entity, Field, Edge, Log) are filled in by
// generated code: their API is not stable.
package eventlog
