package mail_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/orgd/orgd/internal/mail"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/pgtest"
	"github.com/orgd/orgd/internal/postgres"
	"github.com/orgd/orgd/internal/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// received is a message as the test SMTP server took it.
type received struct {
	from, to string
	data     []byte
}

// sink is an SMTP server started inside the test. answer, when set, decides the answer to
// each stage ("MAIL", "RCPT", "DATA") of the n-th message (from 0): nil accepts.
type sink struct {
	mu     sync.Mutex
	msgs   []received
	n      int
	answer func(stage string, n int) error
	addr   string
	srv    *smtp.Server
}

type session struct {
	s        *sink
	from, to string
}

func (se *session) Reset()        {}
func (se *session) Logout() error { return nil }
func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.from = from
	return se.s.decide("MAIL", false)
}
func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = to
	return se.s.decide("RCPT", false)
}

// Data keeps the message even when it answers an error: a server may take a message and
// fail after, and the sender must then send it again, with the same Message-ID.
func (se *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.s.mu.Lock()
	se.s.msgs = append(se.s.msgs, received{se.from, se.to, b})
	se.s.mu.Unlock()
	return se.s.decide("DATA", true)
}

func (s *sink) decide(stage string, last bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.answer != nil {
		err = s.answer(stage, s.n)
	}
	if last || err != nil {
		s.n++
	}
	return err
}

func (s *sink) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

// startSink serves SMTP on addr ("127.0.0.1:0" for any port) until the test ends.
func startSink(t *testing.T, addr string) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{addr: ln.Addr().String()}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// freeAddr returns a loopback address where nothing listens (yet).
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// clock is the deliverer's real clock, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fixture is a service over a store, a deliverer and what it reported.
type fixture struct {
	store    org.Store
	svc      *org.Service
	d        *mail.Deliverer
	clock    *clock
	mu       sync.Mutex
	outcomes []string
}

const (
	lease      = 2 * time.Minute
	minBackoff = 30 * time.Second
)

func newFixture(t *testing.T, store org.Store, server string) *fixture {
	t.Helper()
	svc, err := org.New(context.Background(), store, org.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: store, svc: svc, clock: &clock{now: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}}
	f.d = f.deliverer(t, server)
	return f
}

func (f *fixture) deliverer(t *testing.T, server string) *mail.Deliverer {
	t.Helper()
	d, err := mail.New(f.svc, mail.Options{Server: "smtp://" + server, From: "orgd@example.net", Now: f.clock.Now,
		Lease: lease, MinBackoff: minBackoff, MaxBackoff: 4 * minBackoff,
		OnDelivery: func(o string) { f.mu.Lock(); f.outcomes = append(f.outcomes, o); f.mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *fixture) add(t *testing.T, to, subject, body string) *org.OutboxMessage {
	t.Helper()
	m := &org.OutboxMessage{HandshakeID: "h-" + to[:1], To: to, Subject: subject, Body: body, CreatedAt: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}
	if err := f.store.Update(context.Background(), func(tx org.Tx) error { return tx.AddOutbox(context.Background(), m) }); err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) deliver(t *testing.T, want int) {
	t.Helper()
	n, err := f.d.DeliverDue(context.Background())
	if err != nil {
		t.Fatalf("DeliverDue: %v", err)
	}
	if n != want {
		t.Fatalf("DeliverDue made %d attempts, want %d", n, want)
	}
}

func (f *fixture) message(t *testing.T, seq int64) org.OutboxMessage {
	t.Helper()
	ms, err := f.svc.Outbox(context.Background(), seq-1, 1)
	if err != nil || len(ms) != 1 {
		t.Fatalf("Outbox(%d): %v, %v", seq, ms, err)
	}
	return ms[0]
}

func (f *fixture) lastOutcome() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.outcomes) == 0 {
		return ""
	}
	return f.outcomes[len(f.outcomes)-1]
}

// stores runs a test against SQLite and PostgreSQL; newStore opens the test's store.
func stores(t *testing.T, test func(t *testing.T, newStore func() org.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, func() org.Store {
			s, err := sqlite.Open(context.Background(), sqlite.Memory, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		test(t, func() org.Store {
			s, err := postgres.Open(context.Background(), url, postgres.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

// TestDeliveryCarriesContentAndHeaders: the message reaches the server from the configured
// sender with its subject (non-ASCII encoded), a Date, the derived Message-ID and the body
// intact (long lines and non-ASCII notes survive quoted-printable), and the outbox records
// it delivered with the server's answer.
func TestDeliveryCarriesContentAndHeaders(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() org.Store) {
		s := startSink(t, "127.0.0.1:0")
		f := newFixture(t, newStore(), s.addr)
		body := "Hello,\n\nNotes from the sender:\nBienvenue, Juan ✓ " + strings.Repeat("long line ", 30) + "\n.\nA line with a dot alone above.\n"
		m := f.add(t, "juan@example.com", "Invitation to join the AWS organization o-aaaaaaaaaa ✓", body)
		f.deliver(t, 1)

		got := s.received()
		if len(got) != 1 {
			t.Fatalf("the server received %d messages, want 1", len(got))
		}
		if got[0].from != "orgd@example.net" || got[0].to != "juan@example.com" {
			t.Errorf("envelope %s -> %s, want orgd@example.net -> juan@example.com", got[0].from, got[0].to)
		}
		msg, err := netmail.ReadMessage(strings.NewReader(string(got[0].data)))
		if err != nil {
			t.Fatalf("the message does not parse: %v\n%s", err, got[0].data)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || subject != m.Subject {
			t.Errorf("Subject %q (%v), want %q", subject, err, m.Subject)
		}
		if date, err := msg.Header.Date(); err != nil || !date.Equal(f.clock.Now()) {
			t.Errorf("Date %v (%v), want the real clock's %v", date, err, f.clock.Now())
		}
		for k, want := range map[string]string{"From": "orgd@example.net", "To": "juan@example.com",
			"Message-Id": f.d.MessageID(m), "Content-Type": "text/plain; charset=utf-8"} {
			if v := msg.Header.Get(k); v != want {
				t.Errorf("%s: %q, want %q", k, v, want)
			}
		}
		if !strings.HasSuffix(f.d.MessageID(m), "@example.net>") {
			t.Errorf("Message-ID %s is not in the sender's domain", f.d.MessageID(m))
		}
		text, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil || strings.ReplaceAll(string(text), "\r\n", "\n") != body {
			t.Errorf("body (%v):\n%s\nwant:\n%s", err, text, body)
		}

		stored := f.message(t, m.Seq)
		if stored.State != org.MailDelivered || stored.Attempts != 1 || !stored.SentAt.Equal(f.clock.Now()) || !strings.HasPrefix(stored.LastAnswer, "250 ") {
			t.Errorf("stored delivery %+v, want delivered on attempt 1 now with the server's 250", stored.Delivery)
		}
		if o := f.lastOutcome(); o != mail.OutcomeDelivered {
			t.Errorf("OnDelivery got %q, want %q", o, mail.OutcomeDelivered)
		}
		f.deliver(t, 0) // delivered once only
	})
}

// TestServerDownRetriedWithBackoff: a refused connection leaves the message pending, due
// after the backoff (doubled on the next failure), and it is delivered once the server is up.
func TestServerDownRetriedWithBackoff(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() org.Store) {
		addr := freeAddr(t)
		f := newFixture(t, newStore(), addr)
		m := f.add(t, "juan@example.com", "Invitation", "Hello")
		for attempt, wait := range []time.Duration{minBackoff, 2 * minBackoff} {
			f.deliver(t, 1)
			got := f.message(t, m.Seq)
			if got.State != org.MailPending || got.Attempts != attempt+1 || !got.NextAttemptAt.Equal(f.clock.Now().Add(wait)) ||
				!strings.Contains(got.LastAnswer, "connect") {
				t.Fatalf("after failure %d: %+v, want pending, due in %s, with the connection error", attempt+1, got.Delivery, wait)
			}
			if o := f.lastOutcome(); o != mail.OutcomeTemporaryFailure {
				t.Errorf("OnDelivery got %q, want %q", o, mail.OutcomeTemporaryFailure)
			}
			f.clock.advance(wait - time.Second)
			f.deliver(t, 0) // not due before the backoff ends
			f.clock.advance(time.Second)
		}
		s := startSink(t, addr)
		f.deliver(t, 1)
		if got := f.message(t, m.Seq); got.State != org.MailDelivered || got.Attempts != 3 {
			t.Errorf("with the server up: %+v, want delivered on attempt 3", got.Delivery)
		}
		if n := len(s.received()); n != 1 {
			t.Errorf("the server received %d messages, want 1", n)
		}
	})
}

func TestBackoffIsCapped(t *testing.T) {
	f := newFixture(t, memStore(t), "127.0.0.1:1")
	for _, c := range []struct {
		attempts int
		want     time.Duration
	}{{1, minBackoff}, {2, 2 * minBackoff}, {3, 4 * minBackoff}, {4, 4 * minBackoff}, {60, 4 * minBackoff}} {
		if got := mail.Backoff(f.d, c.attempts); got != c.want {
			t.Errorf("backoff after %d attempts = %s, want %s", c.attempts, got, c.want)
		}
	}
}

func memStore(t *testing.T) org.Store {
	s, err := sqlite.Open(context.Background(), sqlite.Memory, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Test4xxThenSuccessResendsSameMessageID: a 451 after the data keeps the message pending;
// the next attempt sends it again with the same Message-ID, and the server accepts it.
func Test4xxThenSuccessResendsSameMessageID(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() org.Store) {
		s := startSink(t, "127.0.0.1:0")
		s.answer = func(stage string, n int) error {
			if stage == "DATA" && n == 0 {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
			}
			return nil
		}
		f := newFixture(t, newStore(), s.addr)
		m := f.add(t, "juan@example.com", "Invitation", "Hello")
		f.deliver(t, 1)
		if got := f.message(t, m.Seq); got.State != org.MailPending || !strings.Contains(got.LastAnswer, "451") {
			t.Fatalf("after a 451: %+v, want pending with the 451", got.Delivery)
		}
		f.clock.advance(minBackoff)
		f.deliver(t, 1)
		if got := f.message(t, m.Seq); got.State != org.MailDelivered || got.Attempts != 2 {
			t.Errorf("after the retry: %+v, want delivered on attempt 2", got.Delivery)
		}
		got := s.received()
		if len(got) != 2 {
			t.Fatalf("the server received %d copies, want 2", len(got))
		}
		var ids []string
		for _, r := range got {
			msg, err := netmail.ReadMessage(strings.NewReader(string(r.data)))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, msg.Header.Get("Message-Id"))
		}
		if ids[0] != ids[1] || ids[0] != f.d.MessageID(m) {
			t.Errorf("Message-IDs %q, want twice %q", ids, f.d.MessageID(m))
		}
	})
}

// Test5xxMarksFailedWithAnswer: a 550 to the recipient fails the message for good, with the
// server's answer in the outbox, and it is never tried again.
func Test5xxMarksFailedWithAnswer(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() org.Store) {
		s := startSink(t, "127.0.0.1:0")
		s.answer = func(stage string, _ int) error {
			if stage == "RCPT" {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
			}
			return nil
		}
		f := newFixture(t, newStore(), s.addr)
		m := f.add(t, "nobody@example.com", "Invitation", "Hello")
		f.deliver(t, 1)
		got := f.message(t, m.Seq)
		if got.State != org.MailFailed || !strings.Contains(got.LastAnswer, "550") || !strings.Contains(got.LastAnswer, "no such user here") {
			t.Errorf("after a 550: %+v, want failed with the server's answer", got.Delivery)
		}
		if o := f.lastOutcome(); o != mail.OutcomePermanentFailure {
			t.Errorf("OnDelivery got %q, want %q", o, mail.OutcomePermanentFailure)
		}
		f.clock.advance(24 * time.Hour)
		f.deliver(t, 0)
	})
}

// TestRestartMidDelivery: orgd restarts on the same database file. The new deliverer sends
// what the first had not, not what it had; a message claimed by the process that died is
// sent when its lease ends, not before.
func TestRestartMidDelivery(t *testing.T) {
	s := startSink(t, "127.0.0.1:0")
	path := filepath.Join(t.TempDir(), "orgd.db")
	open := func() org.Store {
		st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	f := newFixture(t, st, s.addr)
	f.add(t, "a@example.com", "first", "delivered before the restart")
	f.deliver(t, 1)
	f.add(t, "b@example.com", "second", "claimed by the process that died")
	if ms, err := f.svc.ClaimMail(context.Background(), f.clock.Now(), f.clock.Now().Add(lease), 1); err != nil || len(ms) != 1 {
		t.Fatalf("claim: %v, %v", ms, err)
	}
	f.add(t, "c@example.com", "third", "never tried")
	st.Close()

	st = open()
	t.Cleanup(func() { st.Close() })
	g := newFixture(t, st, s.addr)
	g.clock = f.clock
	g.d = g.deliverer(t, s.addr)
	g.deliver(t, 1)
	g.clock.advance(lease)
	g.deliver(t, 1)
	var to []string
	for _, r := range s.received() {
		to = append(to, r.to)
	}
	if fmt.Sprint(to) != "[a@example.com c@example.com b@example.com]" {
		t.Errorf("the server received messages to %v, want a, then c, then b after the lease", to)
	}
}

// TestReplicasSendEachMessageOnce: deliverers of several replicas draining one store at
// once send every message, none twice within its lease.
func TestReplicasSendEachMessageOnce(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() org.Store) {
		s := startSink(t, "127.0.0.1:0")
		f := newFixture(t, newStore(), s.addr)
		const n = 20
		for i := range n {
			f.add(t, fmt.Sprintf("u%02d@example.com", i), "Invitation", "Hello")
		}
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		for range 3 {
			d := f.deliverer(t, s.addr)
			wg.Go(func() {
				if _, err := d.DeliverDue(context.Background()); err != nil && !errors.Is(err, org.ErrBusy) {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("DeliverDue: %v", err)
		}
		f.deliver(t, 0)
		seen := map[string]int{}
		for _, r := range s.received() {
			seen[r.to]++
		}
		if len(seen) != n {
			t.Errorf("%d recipients received messages, want %d", len(seen), n)
		}
		for to, c := range seen {
			if c != 1 {
				t.Errorf("%s received %d copies, want 1", to, c)
			}
		}
	})
}

// TestNewRefusesBadConfiguration: a server URL or sender orgd cannot use is refused at start.
func TestNewRefusesBadConfiguration(t *testing.T) {
	svc, err := org.New(context.Background(), memStore(t), org.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []mail.Options{
		{Server: "http://mail.example.com:25"},
		{Server: "smtp://mail.example.com"},
		{Server: "smtp://:25"},
		{Server: "smtp://mail.example.com:25/path"},
		{Server: "smtp://mail.example.com:25", From: "not an address"},
		{Server: "smtp://mail.example.com:25", From: "a@b.c\r\nBcc: x@y.z"},
	} {
		if _, err := mail.New(svc, o); err == nil {
			t.Errorf("New(%+v) accepted it", o)
		}
	}
	if _, err := mail.New(svc, mail.Options{Server: "smtps://user:pass@mail.example.com:465"}); err != nil {
		t.Errorf("New(smtps with credentials): %v", err)
	}
}

// TestPlainAuthRefusedWithoutTLS: credentials are not sent to a remote server that offers
// no TLS; the attempt fails (temporarily: the configuration is at fault, not the message).
func TestPlainAuthRefusedWithoutTLS(t *testing.T) {
	// net/smtp allows PLAIN without TLS on loopback by name only (localhost, 127.0.0.1, ::1):
	// 127.0.0.2 stands for a remote server.
	s := startSink(t, "127.0.0.2:0")
	f := newFixture(t, memStore(t), s.addr)
	d, err := mail.New(f.svc, mail.Options{Server: "smtp://u:p@" + s.addr, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.d = d
	m := f.add(t, "juan@example.com", "Invitation", "Hello")
	f.deliver(t, 1)
	got := f.message(t, m.Seq)
	if got.State != org.MailPending || !strings.Contains(got.LastAnswer, "AUTH") {
		t.Errorf("PLAIN without TLS: %+v, want pending with the AUTH refusal", got.Delivery)
	}
	if n := len(s.received()); n != 0 {
		t.Errorf("the server received %d messages, want none", n)
	}
}
