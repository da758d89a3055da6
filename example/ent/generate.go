// Package ent is the generated ent client of the entevents example. Everything in
// this directory but schema/, entc.go and generate.go is generated: run
// go generate ./example/ent (or make generate).
package ent

//go:generate go run -mod=mod entc.go
