// Package codegen is the entevents extension of ent's code generator. Add it to
// entc.go:
//
//	entc.Generate("./schema", &gen.Config{}, entc.Extensions(codegen.Extension()))
//
// It checks the schemas at generate time (an Event schema with entevents.EventLog
// exists, record_id and actor types fit every tracked entity) and generates
// entevents.go in the ent package: the typed descriptors that the capture hook and
// replay use, and an ent.Open that wraps the driver with entevents.WrapDriver.
//
// It lives apart from package entevents so that application binaries do not link
// ent's code generator.
package codegen
