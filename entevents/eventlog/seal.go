package eventlog

import (
	"context"
	"fmt"
	"time"
)

// AAD returns the additional authenticated data that binds an encrypted event
// column to its event: entity, record id, action, version, occurrence time and the
// column name. A ciphertext copied to another event or column fails to decrypt.
func AAD(column, entity string, recordID any, action string, version int, occurredAt time.Time) []byte {
	return fmt.Appendf(nil, "entevents/v1\x00%s\x00%s\x00%v\x00%s\x00%d\x00%d", column, entity, recordID, action, version, occurredAt.UnixMicro())
}

// seal encrypts the data and metadata of r with the vault and clears the plaintext.
func seal(ctx context.Context, v Vault, r *Record) error {
	var err error
	if r.EncData, err = v.Encrypt(ctx, r.Data, AAD(ColumnData, r.Entity, r.RecordID, r.Action, r.Version, r.OccurredAt)); err != nil {
		return fmt.Errorf("entevents: encrypt data: %w", err)
	}
	if r.EncMetadata, err = v.Encrypt(ctx, r.Metadata, AAD(ColumnMetadata, r.Entity, r.RecordID, r.Action, r.Version, r.OccurredAt)); err != nil {
		return fmt.Errorf("entevents: encrypt metadata: %w", err)
	}
	r.Data, r.Metadata = nil, nil
	return nil
}

// Seal encrypts the records' data and metadata when the log has a vault.
func (l *Log) Seal(ctx context.Context, records []*Record) error {
	opts, err := l.Options()
	if err != nil || opts.Vault == nil {
		return err
	}
	for _, r := range records {
		if err := seal(ctx, opts.Vault, r); err != nil {
			return err
		}
	}
	return nil
}

// Unseal decrypts the encrypted data and metadata of a stored event of this log.
// Events stored in plaintext are returned as they are. A missing vault, a wrong or
// unknown key, or a tampered or moved ciphertext is an *EventError naming the event.
func (l *Log) Unseal(ctx context.Context, ev *Stored) error {
	if ev.EncData == nil && ev.EncMetadata == nil {
		return nil
	}
	fail := func(err error) error {
		return &EventError{EventID: ev.ID, Entity: ev.Entity, Action: ev.Action, Version: ev.Version, Err: err}
	}
	opts, err := l.Options()
	if err != nil {
		return fail(err)
	}
	if opts.Vault == nil {
		return fail(ErrNoVault)
	}
	if ev.EncData != nil {
		if ev.Data, err = opts.Vault.Decrypt(ctx, ev.EncData, AAD(ColumnData, ev.Entity, ev.RecordID, ev.Action, ev.Version, ev.OccurredAt)); err != nil {
			return fail(fmt.Errorf("decrypt data: %w", err))
		}
	}
	if ev.EncMetadata != nil {
		if ev.Metadata, err = opts.Vault.Decrypt(ctx, ev.EncMetadata, AAD(ColumnMetadata, ev.Entity, ev.RecordID, ev.Action, ev.Version, ev.OccurredAt)); err != nil {
			return fail(fmt.Errorf("decrypt metadata: %w", err))
		}
	}
	ev.EncData, ev.EncMetadata = nil, nil
	return nil
}
