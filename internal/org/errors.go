package org

import "github.com/orgd/orgd/internal/model"

// The errors below carry the messages AWS itself sends where one has been observed.

func accessDenied() error {
	return model.Errorf(model.CodeAccessDeniedException, "", "You don't have permissions to access this resource.")
}

func notInUse() error {
	return model.Errorf(model.CodeAWSOrganizationsNotInUseException, "", "Your account is not a member of an organization.")
}

func invalidInput(reason, format string, args ...any) error {
	return model.Errorf(model.CodeInvalidInputException, reason, format, args...)
}

func constraintViolation(reason, format string, args ...any) error {
	return model.Errorf(model.CodeConstraintViolationException, reason, format, args...)
}

func handshakeConstraint(reason, format string, args ...any) error {
	return model.Errorf(model.CodeHandshakeConstraintViolationException, reason, format, args...)
}

func handshakeNotFound(id string) error {
	return model.Errorf(model.CodeHandshakeNotFoundException, "", "We can't find a handshake with the HandshakeId that you specified: %s.", id)
}

func accountNotFound(id string) error {
	return model.Errorf(model.CodeAccountNotFoundException, "", "You specified an account that doesn't exist or isn't in your organization: %s.", id)
}
