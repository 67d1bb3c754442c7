// Package metrics keeps orgd's Prometheus metrics and serves them in Prometheus' text
// format. Each Metrics has its own registry, so that several servers in one test process
// count apart. The protocol handlers and the stores report through plain functions (see
// Request, Tx, Retry, Batch, SMTPDelivery); none of them imports this package.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orgd/orgd/internal/org"
)

// The outcomes of a request, by its HTTP status.
const (
	OutcomeSuccess     = "success"      // 2xx and 3xx
	OutcomeClientError = "client_error" // 4xx: the caller's mistake or a refusal
	OutcomeServerError = "server_error" // 5xx: orgd's own failure
)

// Options configure what Metrics reads on a scrape.
type Options struct {
	// OpenHandshakes counts the handshakes stored OPEN or REQUESTED, on each scrape; nil
	// leaves the gauge out.
	OpenHandshakes func(ctx context.Context) (int, error)
	// Logger hears of scrapes that failed to read a value; nil discards.
	Logger *slog.Logger
}

// Metrics holds the registry and the metrics orgd reports.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	txRead     prometheus.Observer
	txWrite    prometheus.Observer
	retries    prometheus.Counter
	batch      prometheus.Histogram
	deliveries *prometheus.CounterVec
	handler    http.Handler

	// children caches the label children of each (api, operation, code, outcome) a request
	// has had: after the first request of a kind, counting one takes a map read under a
	// read lock and no allocation (WithLabelValues would build its variadic slice).
	mu       sync.RWMutex
	children map[requestKey]requestChildren
}

type requestKey struct{ api, op, code, outcome string }

type requestChildren struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// New registers orgd's metrics, and the Go runtime's and the process's, in a new registry.
func New(opts Options) *Metrics {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orgd_requests_total",
			Help: "Requests answered, by API (awsjson, sts, admin), operation, outcome (success, client_error, server_error) and error code (empty on success).",
		}, []string{"api", "operation", "outcome", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "orgd_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by API and operation.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"api", "operation"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orgd_store_retries_total",
			Help: "Store transactions run again after a conflict (PostgreSQL serialization failures, deadlocks, unique violations of concurrent transactions).",
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "orgd_store_group_commit_size",
			Help:    "Updates committed together in one SQLite transaction (group commit).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orgd_smtp_deliveries_total",
			Help: "Outbox e-mails handed to the SMTP server, by outcome.",
		}, []string{"outcome"}),
		children: map[requestKey]requestChildren{},
	}
	tx := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "orgd_store_transaction_duration_seconds",
		Help:    "Store transactions from the call to their end, waits for the writer or a retry included, by kind (read, write).",
		Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"kind"})
	m.txRead, m.txWrite = tx.WithLabelValues("read"), tx.WithLabelValues("write")
	reg.MustRegister(m.requests, m.latency, tx, m.retries, m.batch, m.deliveries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if opts.OpenHandshakes != nil {
		reg.MustRegister(&openHandshakes{count: opts.OpenHandshakes})
	}
	// A value that cannot be read (the store down) leaves that metric out of the scrape;
	// the others still answer, which is when an operator needs them.
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	})
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Request counts one answered request of api (awsjson, sts or admin). op and code must come
// from bounded sets (the model's operations and error codes), never from the request as
// sent: each distinct value is a time series.
func (m *Metrics) Request(api, op, code string, status int, d time.Duration) {
	key := requestKey{api: api, op: op, code: code, outcome: Outcome(status)}
	m.mu.RLock()
	c, ok := m.children[key]
	m.mu.RUnlock()
	if !ok {
		c = requestChildren{count: m.requests.WithLabelValues(api, op, key.outcome, code), latency: m.latency.WithLabelValues(api, op)}
		m.mu.Lock()
		m.children[key] = c
		m.mu.Unlock()
	}
	c.count.Inc()
	c.latency.Observe(d.Seconds())
}

// Recorder is Request for one API, in the form the protocol handlers take.
func (m *Metrics) Recorder(api string) func(op, code string, status int, d time.Duration) {
	return func(op, code string, status int, d time.Duration) { m.Request(api, op, code, status, d) }
}

// Outcome is the outcome label of an HTTP status.
func Outcome(status int) string {
	switch {
	case status >= 500:
		return OutcomeServerError
	case status >= 400:
		return OutcomeClientError
	}
	return OutcomeSuccess
}

// SMTPDelivery counts one delivery attempt of an outbox e-mail; outcome is the mail
// deliverer's (its OnDelivery hook).
func (m *Metrics) SMTPDelivery(outcome string) { m.deliveries.WithLabelValues(outcome).Inc() }

// Retry counts a store transaction run again after a conflict.
func (m *Metrics) Retry() { m.retries.Inc() }

// Batch records the size of one group commit.
func (m *Metrics) Batch(n int) { m.batch.Observe(float64(n)) }

// WrapStore returns s timing its transactions.
func (m *Metrics) WrapStore(s org.Store) org.Store { return &timedStore{Store: s, m: m} }

type timedStore struct {
	org.Store
	m *Metrics
}

func (s *timedStore) Update(ctx context.Context, fn func(org.Tx) error) error {
	start := time.Now()
	err := s.Store.Update(ctx, fn)
	s.m.txWrite.Observe(time.Since(start).Seconds())
	return err
}

func (s *timedStore) View(ctx context.Context, fn func(org.Tx) error) error {
	start := time.Now()
	err := s.Store.View(ctx, fn)
	s.m.txRead.Observe(time.Since(start).Seconds())
	return err
}

// openHandshakes is the gauge of open handshakes, read from the store on each scrape.
type openHandshakes struct {
	count func(ctx context.Context) (int, error)
}

var openHandshakesDesc = prometheus.NewDesc("orgd_open_handshakes",
	"Handshakes stored OPEN or REQUESTED (read from the store on each scrape).", nil, nil)

// scrapeTimeout bounds the store read of a scrape, so a store that hangs does not hold the
// scraper's connection.
const scrapeTimeout = 2 * time.Second

func (o *openHandshakes) Describe(ch chan<- *prometheus.Desc) { ch <- openHandshakesDesc }

func (o *openHandshakes) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	n, err := o.count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(openHandshakesDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(openHandshakesDesc, prometheus.GaugeValue, float64(n))
}

// StatusWriter is an http.ResponseWriter that remembers the status it answered, for the
// request's log line and metrics (200 once a body is written without a header).
type StatusWriter struct {
	http.ResponseWriter
	Status int
}

func (w *StatusWriter) WriteHeader(status int) {
	if w.Status == 0 {
		w.Status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
