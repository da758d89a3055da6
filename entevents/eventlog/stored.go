package eventlog

import (
	"encoding/json"
	"time"
)

// Stored is an event as read back from the log.
type Stored struct {
	ID         any // int64, or uuid.UUID with IDUUIDv7
	RecordID   any // string, uuid.UUID or int64, as the log stores it
	Entity     string
	Action     string
	ActionType string
	Version    int
	// Data and Metadata are the plaintext documents; after Unseal for encrypted events.
	Data          json.RawMessage
	Metadata      json.RawMessage
	ChangedFields []string
	// EncData and EncMetadata hold the ciphertexts until Unseal.
	EncData     []byte
	EncMetadata []byte
	// Actors holds the non-NULL actor columns by column name.
	Actors     map[string]any
	OccurredAt time.Time
}
