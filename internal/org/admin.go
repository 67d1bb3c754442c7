package org

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/model"
)

// The operations below serve orgd's admin API (/_orgd/), not AWS's: they register accounts,
// show the outbox, reset state and move the clock. They run without a caller.

// AccountRegistration describes an account to register or update. Nil flags keep the
// account's current value (true for a new account).
type AccountRegistration struct {
	ID                string
	Email             string
	Name              string
	SellerOfRecord    string
	PaymentInstrument *bool
	EmailVerified     *bool
}

// RegisterAccount creates or updates an account's attributes; membership is left as it is.
func (s *Service) RegisterAccount(ctx context.Context, r AccountRegistration) (*Account, error) {
	if !model.IsAccountID(r.ID) {
		return nil, invalidInput(model.InvalidInputExceptionReasonInvalidPattern, "Id must be 12 digits, not %q.", r.ID)
	}
	var out *Account
	err := s.update(ctx, func(t *txn) error {
		a, err := t.account(r.ID)
		if err != nil {
			return err
		}
		// An account's Email and Name as the model's Account structure constrains them, the
		// shapes AWS's own answers carry: a registered account must be one AWS could return.
		if r.Email != "" {
			if err := model.CheckEmail("Email", r.Email); err != nil {
				return err
			}
			a.Email = r.Email
		}
		if r.Name != "" {
			if err := model.CheckAccountName("Name", r.Name); err != nil {
				return err
			}
			a.Name = r.Name
		}
		switch r.SellerOfRecord {
		case "":
		case SellerAWS, SellerAISPL:
			a.SellerOfRecord = r.SellerOfRecord
		default:
			return invalidInput(model.InvalidInputExceptionReasonInvalidEnum, "SellerOfRecord must be AWS or AISPL, not %q.", r.SellerOfRecord)
		}
		if r.PaymentInstrument != nil {
			a.PaymentInstrument = *r.PaymentInstrument
		}
		if r.EmailVerified != nil {
			a.EmailVerified = *r.EmailVerified
		}
		if err := t.PutAccount(t.ctx, a); errors.Is(err, ErrConflict) {
			return model.Fail(model.CodeConflictException, "", "Another account already has the e-mail address %s.", a.Email)
		} else if err != nil {
			return fmt.Errorf("org: register account %s: %w", a.ID, err)
		}
		out = a
		return nil
	})
	return out, err
}

// Accounts lists the accounts the store holds (registered, or touched by a state change), by
// id, after the given id.
func (s *Service) Accounts(ctx context.Context, afterID string, limit int) ([]Account, error) {
	var out []Account
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListAccounts(ctx, AccountQuery{AfterID: afterID, Limit: limit})
		return err
	})
	return out, err
}

// StoredAccount returns the account the store holds with this id. Unlike the AWS API, which
// answers for any 12-digit id as an account with default attributes, it is
// AccountNotFoundException (HTTP 404) for an id the store has never held: the admin API
// shows what the store holds.
func (s *Service) StoredAccount(ctx context.Context, id string) (*Account, error) {
	if !model.IsAccountID(id) {
		return nil, invalidInput(model.InvalidInputExceptionReasonInvalidPattern, "Account id must be 12 digits, not %q.", id)
	}
	var out *Account
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = storedAccount(ctx, tx, id)
		return err
	})
	return out, err
}

func storedAccount(ctx context.Context, tx Tx, id string) (*Account, error) {
	a, err := tx.Account(ctx, id)
	if isNotFound(err) {
		return nil, &model.Error{Code: model.CodeAccountNotFoundException, Status: http.StatusNotFound, Detail: "orgd stores no account " + id}
	}
	if err != nil {
		return nil, fmt.Errorf("org: read account %s: %w", id, err)
	}
	return a, nil
}

// RemoveAccount forgets a standalone account (its row, e-mail address and attributes) and
// returns it as it was. A
// member (management account or not) is refused: it leaves its organization through the
// AWS API first, which settles its tags, policies and delegations. So is an account an open
// invitation is addressed to, whose sender would otherwise be left waiting on an account
// that is gone: it is canceled or declined first. Historical handshakes and CreateAccount
// statuses keep naming the id, as AWS's do of a closed account. The account's IAM roles and
// their sessions stay: orgd answers for any 12-digit id as an account (with default
// attributes), and roles are declared by id, whether an account is stored or not.
func (s *Service) RemoveAccount(ctx context.Context, id string) (*Account, error) {
	if !model.IsAccountID(id) {
		return nil, invalidInput(model.InvalidInputExceptionReasonInvalidPattern, "Account id must be 12 digits, not %q.", id)
	}
	var removed *Account
	err := s.update(ctx, func(t *txn) error {
		a, err := storedAccount(t.ctx, t, id)
		if err != nil {
			return err
		}
		if a.OrgID != "" {
			o, err := t.Organization(t.ctx, a.OrgID)
			if err != nil && !isNotFound(err) {
				return fmt.Errorf("org: read organization %s: %w", a.OrgID, err)
			}
			if o != nil && o.ManagementAccountID == a.ID {
				return model.Fail(model.CodeMasterCannotLeaveOrganizationException, "", "account %s is the management account of %s", a.ID, a.OrgID)
			}
			return model.Fail(model.CodeAlreadyInOrganizationException, "", "account %s is a member of %s", a.ID, a.OrgID)
		}
		n, err := t.countHandshakes(t.openQuery(HandshakeQuery{RecipientAccountID: a.ID, RecipientEmail: strings.ToLower(a.Email)}))
		if err != nil {
			return err
		}
		if n > 0 {
			return model.Fail(model.CodeConflictException, "", "%d open handshake(s) addressed to account %s", n, a.ID)
		}
		if err := t.DeleteAccount(t.ctx, a.ID); err != nil {
			return fmt.Errorf("org: remove account %s: %w", a.ID, err)
		}
		removed = a
		return nil
	})
	return removed, err
}

// Outbox lists queued e-mails after the given sequence number, the notices of handshakes that
// expired by now included.
func (s *Service) Outbox(ctx context.Context, afterSeq int64, limit int) ([]OutboxMessage, error) {
	if err := s.expireAll(ctx); err != nil {
		return nil, err
	}
	var out []OutboxMessage
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListOutbox(ctx, afterSeq, limit)
		return err
	})
	return out, err
}

// Reset wipes all state, the clock offset included. The pagination key survives, so the
// replicas that share the store keep agreeing on it, and so do the roles the configuration
// declares, as after a restart.
func (s *Service) Reset(ctx context.Context) error {
	return s.run(ctx, s.store.Update, func(t *txn) error {
		if err := t.Reset(ctx); err != nil {
			return fmt.Errorf("org: reset: %w", err)
		}
		if err := t.PutSetting(ctx, settingTokenKey, string(s.tokenKey)); err != nil {
			return fmt.Errorf("org: reset: %w", err)
		}
		return t.declareRoles(s.cfg.Roles)
	})
}

// maxClockOffset bounds how far the admin clock can move in all.
const maxClockOffset = 100 * 365 * 24 * time.Hour

// AdvanceClock moves the server's clock forward by d and returns the new time.
func (s *Service) AdvanceClock(ctx context.Context, d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, invalidInput(model.InvalidInputExceptionReasonMinValueExceeded, "The clock only moves forward; %s is negative.", d)
	}
	// The service keeps time in milliseconds, as the wire format does; a finer advance would
	// be accepted and silently lost.
	if d%time.Millisecond != 0 {
		return time.Time{}, invalidInput(model.InvalidInputExceptionReasonInvalidPattern, "The clock moves in whole milliseconds, not %s.", d)
	}
	var now time.Time
	err := s.store.Update(ctx, func(tx Tx) error {
		offset, err := clockOffset(ctx, tx)
		if err != nil {
			return err
		}
		// A century is far beyond any expiry AWS has, and far from time.Duration's overflow.
		if d > maxClockOffset-offset {
			return invalidInput(model.InvalidInputExceptionReasonMaxValueExceeded,
				"The clock can move at most %s in all; it has moved %s.", maxClockOffset, offset)
		}
		offset += d
		if err := tx.PutSetting(ctx, settingClockOffset, strconv.FormatInt(offset.Milliseconds(), 10)); err != nil {
			return fmt.Errorf("org: store clock offset: %w", err)
		}
		now, err = s.now(ctx, tx)
		return err
	})
	return now, err
}

// Now returns the server's time: the clock plus the admin offset.
func (s *Service) Now(ctx context.Context) (time.Time, error) {
	var now time.Time
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		now, err = s.now(ctx, tx)
		return err
	})
	return now, err
}
