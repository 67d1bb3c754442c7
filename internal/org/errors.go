package org

import "github.com/orgd/orgd/internal/model"

// The errors below are built from a code, a Reason and a detail: the text the client reads is
// the catalogue's (model.Message), the detail goes to orgd's log only. A detail names what a
// person needs to find the cause: the id, the field, the limit and the flag that raises it.

func accessDenied() error {
	return model.Fail(model.CodeAccessDeniedException, "", "the caller's account may not call this operation")
}

func notInUse() error {
	return model.Fail(model.CodeAWSOrganizationsNotInUseException, "", "the caller's account is in no organization")
}

func invalidInput(reason, detailFormat string, args ...any) error {
	return model.Fail(model.CodeInvalidInputException, reason, detailFormat, args...)
}

func constraintViolation(reason, detailFormat string, args ...any) error {
	return model.Fail(model.CodeConstraintViolationException, reason, detailFormat, args...)
}

func handshakeConstraint(reason, detailFormat string, args ...any) error {
	return model.Fail(model.CodeHandshakeConstraintViolationException, reason, detailFormat, args...)
}

func handshakeNotFound(id string) error {
	return model.Fail(model.CodeHandshakeNotFoundException, "", "no handshake %s visible to the caller", id)
}

func accountNotFound(id string) error {
	return model.Fail(model.CodeAccountNotFoundException, "", "account %s doesn't exist or isn't in the caller's organization", id)
}
