package org

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/model"
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
	s.writeConsoleLink(b, h, "read and answer it")
	fmt.Fprintf(b, "\nTo accept, sign in to the invited account and run:\n")
	fmt.Fprintf(b, "  aws organizations accept-handshake --handshake-id %s\n", h.ID)
	fmt.Fprintf(b, "To decline:\n  aws organizations decline-handshake --handshake-id %s\n", h.ID)
}

// writeConsoleLink names the handshake's console page, when orgd knows its public address.
func (s *Service) writeConsoleLink(b *strings.Builder, h *Handshake, what string) {
	if s.cfg.PublicURL != "" {
		fmt.Fprintf(b, "\nTo %s in the console, open:\n  %s/console/handshakes/%s\n", what, s.cfg.PublicURL, h.ID)
	}
}

// notice is a message about a handshake's change of state, dated by the change.
func (s *Service) notice(h *Handshake, to, subject string, b *strings.Builder, now time.Time) *OutboxMessage {
	fmt.Fprintf(b, "\nHandshake: %s\n", h.ID)
	s.writeConsoleLink(b, h, "see it")
	return &OutboxMessage{HandshakeID: h.ID, To: to, Subject: subject, Body: b.String(), CreatedAt: now}
}

// invitationAnsweredMail tells the management account that the invited account accepted or
// declined (state), as AWS tells the management account's owner.
func (s *Service) invitationAnsweredMail(mgmt, invited *Account, h *Handshake, state string, now time.Time) *OutboxMessage {
	verb := strings.ToLower(state)
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", mgmt.Name)
	fmt.Fprintf(&b, "The AWS account %s (%s) %s the invitation to join your AWS organization %s.\n", invited.ID, invited.Email, verb, h.OrgID)
	if state == model.HandshakeStateAccepted {
		fmt.Fprintf(&b, "It is now a member account of the organization, under its root.\n")
	} else {
		fmt.Fprintf(&b, "It stays out of the organization; you can send it a new invitation.\n")
	}
	return s.notice(h, mgmt.Email, fmt.Sprintf("Account %s %s the invitation to the AWS organization %s", invited.ID, verb, h.OrgID), &b, now)
}

// invitationCanceledMail tells the invited account's owner that the organization withdrew
// its invitation; AWS's User Guide (Managing pending invitations) says AWS e-mails the
// account owner when an invitation is canceled.
func (s *Service) invitationCanceledMail(mgmt *Account, h *Handshake, to string, now time.Time) *OutboxMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\n")
	fmt.Fprintf(&b, "%s (%s), management account %s of the AWS organization %s, canceled its invitation to your AWS account.\n", mgmt.Name, mgmt.Email, mgmt.ID, h.OrgID)
	fmt.Fprintf(&b, "You can no longer accept it; the account can join the organization only with a new invitation.\n")
	return s.notice(h, to, fmt.Sprintf("Invitation to join the AWS organization %s canceled", h.OrgID), &b, now)
}

// expiredMail tells the management account that sent h that it expired unanswered; to is the
// invited address of an invitation. AWS's documentation says an invitation expires after 15
// days and an all-features request after 90, not what it e-mails then [INF]: the sender is
// told, as it is told of an answer, and nobody else.
func (s *Service) expiredMail(mgmt *Account, h *Handshake, to string) *OutboxMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", mgmt.Name)
	requested := h.RequestedAt.UTC().Format(time.RFC1123)
	var subject string
	switch h.Action {
	case model.ActionTypeInvite:
		subject = fmt.Sprintf("Invitation to %s to join the AWS organization %s expired", to, h.OrgID)
		fmt.Fprintf(&b, "The invitation to join your AWS organization %s that you sent to %s on %s expired without an answer.\n", h.OrgID, to, requested)
		fmt.Fprintf(&b, "The account did not join the organization; you can send it a new invitation.\n")
	case model.ActionTypeEnableAllFeatures:
		subject = fmt.Sprintf("Request to enable all features in the AWS organization %s expired", h.OrgID)
		fmt.Fprintf(&b, "The request to enable all features in your AWS organization %s, made on %s, expired before it was completed.\n", h.OrgID, requested)
		fmt.Fprintf(&b, "The organization keeps consolidated billing features only; you can make a new request.\n")
	default:
		subject = fmt.Sprintf("Handshake %s of the AWS organization %s expired", h.ID, h.OrgID)
		fmt.Fprintf(&b, "The %s handshake that your AWS organization %s started on %s expired without an answer.\n", h.Action, h.OrgID, requested)
	}
	fmt.Fprintf(&b, "It expired on %s.\n", h.ExpiresAt.UTC().Format(time.RFC1123))
	return s.notice(h, mgmt.Email, subject, &b, h.ExpiresAt)
}

// allFeaturesMail asks an invited member account's owner to approve the organization's move
// to all features (the APPROVE_ALL_FEATURES handshake h); accounts created in the
// organization agreed when they were created and receive nothing.
func (s *Service) allFeaturesMail(mgmt, member *Account, h *Handshake) *OutboxMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\n")
	fmt.Fprintf(&b, "%s (%s), management account %s of the AWS organization %s, asks every invited member account to approve enabling all features in the organization.\n",
		mgmt.Name, mgmt.Email, mgmt.ID, h.OrgID)
	fmt.Fprintf(&b, "With all features, the management account can apply policies such as service control policies to your account %s.\n", member.ID)
	fmt.Fprintf(&b, "\nHandshake: %s\n", h.ID)
	fmt.Fprintf(&b, "The request expires on %s.\n", h.ExpiresAt.UTC().Format(time.RFC1123))
	s.writeConsoleLink(&b, h, "read and answer it")
	fmt.Fprintf(&b, "\nTo approve, sign in to the member account and run:\n")
	fmt.Fprintf(&b, "  aws organizations accept-handshake --handshake-id %s\n", h.ID)
	fmt.Fprintf(&b, "To decline:\n  aws organizations decline-handshake --handshake-id %s\n", h.ID)
	return &OutboxMessage{
		HandshakeID: h.ID,
		To:          member.Email,
		Subject:     fmt.Sprintf("Request to enable all features in the AWS organization %s", h.OrgID),
		Body:        b.String(),
		CreatedAt:   h.RequestedAt,
	}
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
	err := s.update(ctx, func(t *txn) error {
		// The notices of handshakes that expired since the last claim join the outbox first.
		if _, err := t.expireHandshakes(""); err != nil {
			return err
		}
		var err error
		out, err = t.ClaimOutbox(ctx, now, until, limit)
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
