package org

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/orgd/orgd/internal/model"
)

// defaultPageSize is what List operations return when MaxResults is omitted (the model's
// maximum, and what users observe from AWS).
const defaultPageSize = 20

func pageSize(maxResults *int32) int {
	if maxResults == nil {
		return defaultPageSize
	}
	return int(*maxResults)
}

// A NextToken is the last key of the page it follows, signed with the store's token key over
// the list's scope (operation, caller and filters). A token that was altered, or that belongs
// to another list or caller, fails the signature check and answers INVALID_NEXT_TOKEN, as AWS
// does. Tokens carry the position, not a snapshot, so a list costs one page whatever follows.
func (s *Service) nextToken(scope, key string) *string {
	tok := base64.RawURLEncoding.EncodeToString([]byte(key)) + "." + s.tokenMAC(scope, key)
	return &tok
}

// pageStart returns the key a page starts after: "" without a token.
func (s *Service) pageStart(scope string, token *string) (string, error) {
	if token == nil {
		return "", nil
	}
	enc, mac, ok := strings.Cut(*token, ".")
	key, err := base64.RawURLEncoding.DecodeString(enc)
	if !ok || err != nil || !hmac.Equal([]byte(mac), []byte(s.tokenMAC(scope, string(key)))) {
		return "", invalidInput(model.InvalidInputExceptionReasonInvalidNextToken, "The specified NextToken is not valid.")
	}
	return string(key), nil
}

func (s *Service) tokenMAC(scope, key string) string {
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(key))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}
