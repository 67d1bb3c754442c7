package org

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
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

// pageOf reads one page of a list whose NextToken is scoped to scope. It asks fetch for one
// row more than the page holds, which tells whether another page follows without counting
// the rest, and signs the key of the page's last row into the next token. fetch gets the key
// to start after ("" for the first page) and wraps its own errors.
func pageOf[T any](s *Service, scope string, token *string, maxResults *int32, fetch func(after string, limit int) ([]T, error), key func(T) string) ([]T, *string, error) {
	after, err := s.pageStart(scope, token)
	if err != nil {
		return nil, nil, err
	}
	n := pageSize(maxResults)
	rows, err := fetch(after, n+1)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) <= n {
		return rows, nil, nil
	}
	rows = rows[:n]
	return rows, s.nextToken(scope, key(rows[n-1])), nil
}

// seqPageOf is pageOf for a list that pages on a sequence number (0 for the first page).
func seqPageOf[T any](s *Service, scope string, token *string, maxResults *int32, fetch func(afterSeq int64, limit int) ([]T, error), seq func(T) int64) ([]T, *string, error) {
	return pageOf(s, scope, token, maxResults, func(after string, limit int) ([]T, error) {
		var afterSeq int64
		if after != "" {
			var err error
			if afterSeq, err = strconv.ParseInt(after, 10, 64); err != nil {
				return nil, fmt.Errorf("org: signed token holds %q: %w", after, err)
			}
		}
		return fetch(afterSeq, limit)
	}, func(row T) string { return strconv.FormatInt(seq(row), 10) })
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
