package eventlog

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"
)

// AAD returns the additional authenticated data that binds an encrypted event
// column to its event: entity, record id, action, version, occurrence time (to the
// microsecond) and the column name. A ciphertext copied to another event or column
// fails to decrypt. Each part is length-prefixed, so no two different events share
// their AAD. recordID is the record_id as stored: string (or []byte holding one),
// uuid.UUID or an integer, which all print the same whichever form they are read
// back in.
func AAD(column, entity string, recordID any, action string, version int, occurredAt time.Time) []byte {
	var rid string
	switch v := recordID.(type) {
	case string:
		rid = v
	case []byte:
		rid = string(v)
	default:
		rid = fmt.Sprint(v)
	}
	b := []byte("entevents/aad/v1")
	for _, part := range []string{column, entity, rid, action, strconv.Itoa(version), strconv.FormatInt(occurredAt.UnixMicro(), 10)} {
		b = binary.AppendUvarint(b, uint64(len(part)))
		b = append(b, part...)
	}
	return b
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

// Vault returns the vault that applies: override when it is not nil (see VaultOf
// and DriverOptions.Vault), else the EventLog's, which may be nil (no encryption).
func (l *Log) Vault(override Vault) (Vault, error) {
	if override != nil {
		return override, nil
	}
	opts, err := l.Options()
	if err != nil {
		return nil, err
	}
	return opts.Vault, nil
}

// Seal encrypts the records' data and metadata when the log has a vault.
func (l *Log) Seal(ctx context.Context, records []*Record) error {
	return l.SealWith(ctx, nil, records)
}

// SealWith encrypts the records' data and metadata with v, or with the log's vault
// when v is nil; with neither it leaves them in plaintext. The plaintext of sealed
// records is cleared: the data and metadata columns are written as NULL.
func (l *Log) SealWith(ctx context.Context, v Vault, records []*Record) error {
	v, err := l.Vault(v)
	if err != nil || v == nil {
		return err
	}
	for _, r := range records {
		if err := seal(ctx, v, r); err != nil {
			return err
		}
	}
	return nil
}

// Unseal decrypts the encrypted data and metadata of a stored event of this log
// with the log's vault (UnsealWith passes another). Events stored in plaintext are
// returned as they are. A missing vault (ErrNoVault), a wrong or unknown key, or a
// tampered or moved ciphertext is an *EventError naming the event.
func (l *Log) Unseal(ctx context.Context, ev *Stored) error {
	return l.UnsealWith(ctx, nil, ev)
}

// UnsealWith is Unseal with vault v, or the log's vault when v is nil. Readers of a
// client whose driver has its own vault pass VaultOf(the client's driver).
func (l *Log) UnsealWith(ctx context.Context, v Vault, ev *Stored) error {
	if ev.EncData == nil && ev.EncMetadata == nil {
		return nil
	}
	fail := func(err error) error {
		return &EventError{EventID: ev.ID, Entity: ev.Entity, Action: ev.Action, Version: ev.Version, Err: err}
	}
	v, err := l.Vault(v)
	if err != nil {
		return fail(err)
	}
	if v == nil {
		return fail(ErrNoVault)
	}
	data, metadata := ev.Data, ev.Metadata
	if ev.EncData != nil {
		if data, err = v.Decrypt(ctx, ev.EncData, AAD(ColumnData, ev.Entity, ev.RecordID, ev.Action, ev.Version, ev.OccurredAt)); err != nil {
			return fail(fmt.Errorf("decrypt data: %w", err))
		}
	}
	if ev.EncMetadata != nil {
		if metadata, err = v.Decrypt(ctx, ev.EncMetadata, AAD(ColumnMetadata, ev.Entity, ev.RecordID, ev.Action, ev.Version, ev.OccurredAt)); err != nil {
			return fail(fmt.Errorf("decrypt metadata: %w", err))
		}
	}
	ev.Data, ev.Metadata = data, metadata
	ev.EncData, ev.EncMetadata = nil, nil
	return nil
}
