//go:build ignore

package main

import (
	"log"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"

	"github.com/entevents/entevents/entevents/codegen"
)

func main() {
	err := entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{gen.FeatureUpsert, gen.FeatureVersionedMigration},
	}, entc.Extensions(codegen.Extension()))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}
