package org

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// transferMail is the message AWS sends the management account invited to hand its
// organization's billing to another organization.
func (s *Service) transferMail(o *Organization, mgmt *Account, h *Handshake, tr *Transfer, to string, notes *string) *OutboxMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\n")
	fmt.Fprintf(&b, "%s (%s), management account %s of the AWS organization %s, invites your organization to transfer its %s responsibility to theirs, starting %s.\n",
		mgmt.Name, mgmt.Email, mgmt.ID, o.ID, strings.ToLower(tr.Type), tr.StartAt.UTC().Format(time.RFC1123))
	s.writeNotesAndHandshake(&b, h, notes)
	return &OutboxMessage{
		HandshakeID: h.ID,
		To:          to,
		Subject:     fmt.Sprintf("Invitation to transfer billing to the AWS organization %s", o.ID),
		Body:        b.String(),
		CreatedAt:   h.RequestedAt,
	}
}

// writeNotesAndHandshake ends an invitation: the sender's notes, the handshake and how to
// answer it before it expires.
func (s *Service) writeNotesAndHandshake(b *strings.Builder, h *Handshake, notes *string) {
	if notes != nil && *notes != "" {
		fmt.Fprintf(b, "\nNotes from the sender:\n%s\n", *notes)
	}
	fmt.Fprintf(b, "\nHandshake: %s\n", h.ID)
	fmt.Fprintf(b, "The invitation expires on %s.\n", h.ExpiresAt.UTC().Format(time.RFC1123))
	if s.cfg.PublicURL != "" {
		fmt.Fprintf(b, "\nTo read and answer it in the console, open:\n  %s/console/handshakes/%s\n", s.cfg.PublicURL, h.ID)
	}
	fmt.Fprintf(b, "\nTo accept, sign in to the invited account and run:\n")
	fmt.Fprintf(b, "  aws organizations accept-handshake --handshake-id %s\n", h.ID)
	fmt.Fprintf(b, "To decline:\n  aws organizations decline-handshake --handshake-id %s\n", h.ID)
}

// invitationMail is the message AWS sends the owner of an invited account. It goes to the
// outbox in the invitation's transaction, so an invitation and its e-mail exist together or
// not at all; a mailer drains the outbox later.
func (s *Service) invitationMail(o *Organization, mgmt *Account, h *Handshake, to string, notes *string) *OutboxMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\n")
	fmt.Fprintf(&b, "%s (%s) invites your AWS account to join the AWS organization %s.\n", mgmt.Name, mgmt.Email, o.ID)
	fmt.Fprintf(&b, "The organization's management account is %s.\n", mgmt.ID)
	s.writeNotesAndHandshake(&b, h, notes)
	return &OutboxMessage{
		HandshakeID: h.ID,
		To:          to,
		Subject:     fmt.Sprintf("Invitation to join the AWS organization %s", o.ID),
		Body:        b.String(),
		CreatedAt:   h.RequestedAt,
	}
}

// ClaimMail takes up to limit outbox messages due for delivery at now (the real clock's, not
// the admin clock's) and leases them until until: no other claim, on this replica or
// another, takes them before, and they are due again then if their delivery was not
// recorded (the deliverer died).
func (s *Service) ClaimMail(ctx context.Context, now, until time.Time, limit int) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ClaimOutbox(ctx, now, until, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("org: claim mail: %w", err)
	}
	return out, nil
}

// RecordDelivery stores the outcome of a message's delivery attempt; ErrNotFound if the
// message is gone (a reset).
func (s *Service) RecordDelivery(ctx context.Context, seq int64, d Delivery) error {
	err := s.store.Update(ctx, func(tx Tx) error { return tx.SetDelivery(ctx, seq, d) })
	if err != nil {
		return fmt.Errorf("org: record delivery of message %d: %w", seq, err)
	}
	return nil
}
