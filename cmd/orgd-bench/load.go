package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// targetPrefix is the awsJson 1.1 X-Amz-Target prefix of AWS Organizations.
const targetPrefix = "AWSOrganizationsV20161128."

// client sends signed AWS Organizations requests to one server. All workers share it, so
// they share one http.Transport whose MaxConnsPerHost bounds the keep-alive connections.
type client struct {
	base   string
	hc     *http.Client
	signer *v4.Signer
	// last holds the last successful answer's body: the same-size ceiling answers with it.
	last atomic.Pointer[[]byte]
}

func newClient(base string, conns int) *client {
	tr := &http.Transport{
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
		MaxIdleConns:        conns,
		IdleConnTimeout:     90 * time.Second,
	}
	// The timeout only guards against a hung server; moto's ListAccounts on a large
	// organization takes a good fraction of a second.
	return &client{base: base, hc: &http.Client{Transport: tr, Timeout: 2 * time.Minute}, signer: v4.NewSigner()}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// apiError is an answer other than 200.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// clientSecret is the secret every request is signed with (orgd-verified's credentials file
// gives it to each key).
const clientSecret = "orgd-bench"

// call sends op's input in as account and decodes the answer into out (when not nil). The
// request is signed as aws-sdk-go-v2 signs it: SigV4 over the payload's SHA-256, service
// organizations, region us-east-1, the access key being the account id. The
// x-moto-account-id header makes moto act as that account (orgd reads it too, first, unless
// it verifies signatures: then the key names the account).
func (c *client) call(ctx context.Context, op, account string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	req.Header.Set("x-moto-account-id", account)
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: account, SecretAccessKey: clientSecret}
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "organizations", "us-east-1", time.Now()); err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Reading the whole body is what returns the connection to the pool for the next
	// request: an unread body would cost a new connection each time.
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		e := &apiError{Status: resp.StatusCode, Code: resp.Header.Get("X-Amzn-ErrorType")}
		var m struct {
			Type    string `json:"__type"`
			Message string `json:"Message"`
			Lower   string `json:"message"`
		}
		if json.Unmarshal(raw, &m) == nil {
			if e.Code == "" {
				e.Code = m.Type
			}
			e.Message = m.Message + m.Lower
		} else {
			// moto answers an operation it lacks with werkzeug's HTML error page.
			e.Message = string(truncate([]byte(plainText(raw)), 60))
		}
		return e
	}
	c.last.Store(&raw)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("decode %s answer %q: %w", op, truncate(raw, 200), err)
		}
	}
	return nil
}

// plainText is an HTML error page's text on one line.
func plainText(raw []byte) string {
	var b strings.Builder
	inTag := false
	for _, r := range string(raw) {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return append(b[:n:n], "…"...)
	}
	return b
}

// unit is one measured unit of work: one request, or one invitation cycle of two. seq is
// unique within the run, for fresh ids and e-mails.
type unit func(ctx context.Context, c *client, seq int64) error

// sample is what one measurement window saw.
type sample struct {
	ok, errors int
	elapsed    time.Duration
	latencies  []time.Duration // of the successful units, sorted
	firstError string
}

// measure runs u from conns workers for d after a warm-up of warm whose results are thrown
// away (it fills the connection pool, the server's caches and its JIT-less hot paths alike).
// A worker starts no unit after the window closes but finishes the one in flight, so no
// request is cut short and counted as an error; elapsed runs until the last one is done.
func measure(ctx context.Context, c *client, conns int, warm, d time.Duration, seq *atomic.Int64, u unit) sample {
	if warm > 0 {
		window(ctx, c, conns, warm, seq, u)
	}
	return window(ctx, c, conns, d, seq, u)
}

func window(ctx context.Context, c *client, conns int, d time.Duration, seq *atomic.Int64, u unit) sample {
	type worker struct {
		lat      []time.Duration
		errors   int
		firstErr error
		firstAt  time.Time
	}
	workers := make([]worker, conns)
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		w.lat = make([]time.Duration, 0, 4096)
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(end) {
				// The latency is what the caller sees: signing, the round trip and
				// reading the answer.
				t0 := time.Now()
				err := u(ctx, c, seq.Add(1))
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					w.errors++
					if w.firstErr == nil {
						w.firstErr, w.firstAt = err, t0
					}
					continue
				}
				w.lat = append(w.lat, time.Since(t0))
			}
		})
	}
	wg.Wait()
	s := sample{elapsed: time.Since(start)}
	var firstAt time.Time
	for _, w := range workers {
		s.latencies = append(s.latencies, w.lat...)
		s.errors += w.errors
		if w.firstErr != nil && (firstAt.IsZero() || w.firstAt.Before(firstAt)) {
			s.firstError, firstAt = w.firstErr.Error(), w.firstAt
		}
	}
	s.ok = len(s.latencies)
	slices.Sort(s.latencies)
	return s
}

// percentile is the q-quantile (0 < q ≤ 1) of sorted latencies, nearest rank.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// parallel runs f(i) for i in [0, n) from workers goroutines and returns the first error,
// after which the others stop taking work. The setup creates its accounts with it.
func parallel(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}
