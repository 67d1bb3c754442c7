package mirror

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// limit is a token bucket: Rate requests a second, Burst at once.
type limit struct {
	Rate  float64
	Burst int
}

// awsLimits are AWS Organizations' throttling quotas per calling account, for the calls a
// mirror makes: the "Throttling limits" table of the Organizations User Guide's "Quotas and
// service limits for AWS Organizations" page (docs.aws.amazon.com/organizations/latest/
// userguide/orgs_reference_limits.html), as the spec digest records it (§10.1, [UG]). The
// organization-wide quotas there are each a little higher than the per-account one, so a
// single caller that keeps to these keeps to both; another caller in the organization
// reading at the same time shares the organization's budget [INF].
var awsLimits = map[string]limit{
	"DescribeOrganization":                {1, 2},
	"ListRoots":                           {1, 2},
	"ListOrganizationalUnitsForParent":    {5, 8},
	"ListAccountsForParent":               {5, 8},
	"ListTagsForResource":                 {10, 15},
	"ListPolicies":                        {5, 8},
	"DescribePolicy":                      {2, 2},
	"ListTargetsForPolicy":                {5, 8},
	"ListAWSServiceAccessForOrganization": {1, 3},
	"ListDelegatedServicesForAccount":     {1, 3},
	"ListDelegatedAdministrators":         {5, 8},
	// Not in AWS's table: paced as the slowest read the table lists [INF].
	"DescribeResourcePolicy": {1, 1},
}

// slowest paces a call AWS's table does not list.
var slowest = limit{1, 1}

// pacer keeps a mirror's calls under a rate: AWS's per-operation throttling quotas, or one
// rate for every call. It counts the calls it lets through, retries included.
type pacer struct {
	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	all      *rate.Limiter // with a single rate for every call
	calls    map[string]int
}

// newPacer paces every call at perSecond requests a second (bursts of as many, at least
// one), or, with perSecond 0, each operation at AWS's quota for it.
func newPacer(perSecond float64) (*pacer, error) {
	p := &pacer{limiters: map[string]*rate.Limiter{}, calls: map[string]int{}}
	switch {
	case perSecond < 0:
		return nil, fmt.Errorf("mirror: a rate of %g requests a second is not one", perSecond)
	case perSecond > 0:
		p.all = rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))
	}
	return p, nil
}

// Wait blocks until operation may be called.
func (p *pacer) Wait(ctx context.Context, operation string) error {
	p.mu.Lock()
	p.calls[operation]++
	l := p.all
	if l == nil {
		if l = p.limiters[operation]; l == nil {
			lim, ok := awsLimits[operation]
			if !ok {
				lim = slowest
			}
			l = rate.NewLimiter(rate.Limit(lim.Rate), lim.Burst)
			p.limiters[operation] = l
		}
	}
	p.mu.Unlock()
	if err := l.Wait(ctx); err != nil {
		return fmt.Errorf("mirror: wait to call %s: %w", operation, err)
	}
	return nil
}

// Calls are the calls let through so far, by operation.
func (p *pacer) Calls() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.calls)
}

// Source is the organization to read: the Organizations API at Endpoint (AWS's own for the
// region's partition when empty), called with AWS's credentials and region.
type Source struct {
	AWS      aws.Config
	Endpoint string
	// Rate is the requests a second every call keeps to; 0 keeps each operation to AWS's
	// quota for it.
	Rate float64
	// MaxAttempts is how often a throttled call is tried (default 10), MaxBackoff the
	// longest wait between two tries (default 20 s).
	MaxAttempts int
	MaxBackoff  time.Duration
}

// client is an Organizations client whose every attempt, retries included, waits for the
// pacer, and which retries throttling (TooManyRequestsException, ThrottlingException: the
// standard retryer's throttle codes) with exponential backoff and jitter.
func (s Source) client(p *pacer) *organizations.Client {
	attempts, backoff := s.MaxAttempts, s.MaxBackoff
	if attempts == 0 {
		attempts = 10
	}
	if backoff == 0 {
		backoff = 20 * time.Second
	}
	return organizations.NewFromConfig(s.AWS, func(o *organizations.Options) {
		if s.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.Endpoint)
		}
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts, so.MaxBackoff = attempts, backoff
			// The SDK's retry quota would give up after a few dozen throttles in a row: a
			// long mirror should instead wait for the server, which the pacer already spares.
			so.RateLimiter = ratelimit.None
		})
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			// After the retry middleware, so that it runs for every attempt.
			return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("orgdPace",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					if err := p.Wait(ctx, awsmiddleware.GetOperationName(ctx)); err != nil {
						return middleware.FinalizeOutput{}, middleware.Metadata{}, err
					}
					return next.HandleFinalize(ctx, in)
				}), "Retry", middleware.After)
		})
	})
}
