// Package mail delivers orgd's outbox over SMTP. The domain writes each e-mail to the outbox
// in the transaction of the state change it tells of; a Deliverer claims due messages with a
// lease (so replicas sharing a store do not both send one), sends them, and records the
// outcome: delivered, failed for good (a 5xx answer, kept with the message), or due again
// later with exponential backoff (connection trouble, a 4xx answer). A message whose
// deliverer died is due again when its lease ends: delivery is at least once, and a re-send
// carries the same Message-ID, so a recipient's mail system can recognise the duplicate.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// Queue is the outbox as the deliverer uses it (org.Service implements it).
type Queue interface {
	// ClaimMail takes up to limit messages due at now and leases them until until.
	ClaimMail(ctx context.Context, now, until time.Time, limit int) ([]org.OutboxMessage, error)
	// RecordDelivery stores a message's delivery state; org.ErrNotFound if it is gone.
	RecordDelivery(ctx context.Context, seq int64, d org.Delivery) error
}

// Outcomes of a delivery attempt, as Options.OnDelivery receives them.
const (
	OutcomeDelivered        = "delivered"
	OutcomeTemporaryFailure = "temporary_failure"
	OutcomePermanentFailure = "permanent_failure"
)

// DefaultFrom is the sender when none is configured: .invalid (RFC 2606) can never be a real
// domain, so no one's address is borrowed.
const DefaultFrom = "no-reply@orgd.invalid"

// Options configure a Deliverer. Zero durations take the defaults documented on each.
type Options struct {
	// Server is smtp://[user:pass@]host:port (STARTTLS when the server offers it) or
	// smtps://[user:pass@]host:port (TLS from the first byte).
	Server string
	// From is the envelope sender and From header (default DefaultFrom); its domain names the
	// Message-IDs.
	From string
	// TLS configures STARTTLS and smtps (nil: the system's roots, the server's host name).
	TLS *tls.Config
	// Poll is how often the outbox is checked for due messages (default 1s).
	Poll time.Duration
	// Lease is how long a claimed message is hidden from other deliverers, and bounds one
	// attempt (default 2m).
	Lease time.Duration
	// MinBackoff is the wait after a first temporary failure, doubled after each next one up
	// to MaxBackoff (defaults 30s and 1h).
	MinBackoff, MaxBackoff time.Duration
	// Now is the real clock (default time.Now): SMTP servers do not follow orgd's admin clock.
	Now func() time.Time
	// OnDelivery, when set, is called after each attempt with its outcome (the metrics hook).
	OnDelivery func(outcome string)
	// Log receives a line per failed attempt (default slog.Default()).
	Log *slog.Logger
}

// Deliverer sends the outbox's due messages.
type Deliverer struct {
	q        Queue
	opt      Options
	implicit bool // smtps
	addr     string
	host     string
	auth     smtp.Auth
	from     string
	domain   string
}

// New checks opt and returns a deliverer over q; Run starts it.
func New(q Queue, opt Options) (*Deliverer, error) {
	u, err := url.Parse(opt.Server)
	if err != nil {
		return nil, fmt.Errorf("mail: server %q: %w", opt.Server, err)
	}
	d := &Deliverer{q: q, opt: opt}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		d.implicit = true
	default:
		return nil, fmt.Errorf("mail: server %q: the scheme must be smtp or smtps", opt.Server)
	}
	if u.Hostname() == "" || u.Port() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("mail: server %q: want %s://[user:pass@]host:port", opt.Server, u.Scheme)
	}
	d.addr, d.host = u.Host, u.Hostname()
	if u.User != nil {
		pass, _ := u.User.Password()
		// net/smtp's PLAIN refuses to send credentials over a connection without TLS unless
		// the server is on loopback: the rule this deliverer promises.
		d.auth = smtp.PlainAuth("", u.User.Username(), pass, d.host)
	}
	if d.from = opt.From; d.from == "" {
		d.from = DefaultFrom
	}
	at := strings.LastIndexByte(d.from, '@')
	if at < 1 || at == len(d.from)-1 || strings.ContainsAny(d.from, " \r\n<>") {
		return nil, fmt.Errorf("mail: sender %q is not an e-mail address", d.from)
	}
	d.domain = d.from[at+1:]
	defaults := []struct {
		v *time.Duration
		d time.Duration
	}{{&d.opt.Poll, time.Second}, {&d.opt.Lease, 2 * time.Minute}, {&d.opt.MinBackoff, 30 * time.Second}, {&d.opt.MaxBackoff, time.Hour}}
	for _, f := range defaults {
		if *f.v <= 0 {
			*f.v = f.d
		}
	}
	if d.opt.Now == nil {
		d.opt.Now = time.Now
	}
	if d.opt.Log == nil {
		d.opt.Log = slog.Default()
	}
	return d, nil
}

// Run delivers due messages every Poll until ctx ends; it returns nil then. A failure to
// read or write the outbox is logged and tried again at the next poll.
func (d *Deliverer) Run(ctx context.Context) error {
	t := time.NewTicker(d.opt.Poll)
	defer t.Stop()
	for {
		if _, err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			d.opt.Log.Error("mail: outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// DeliverDue makes one attempt at each message due now, one claim at a time (so that a
// lease covers one attempt only), and returns how many attempts it made.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		now := d.opt.Now()
		ms, err := d.q.ClaimMail(ctx, now, now.Add(d.opt.Lease), 1)
		if err != nil || len(ms) == 0 {
			return n, err
		}
		n++
		if err := d.attempt(ctx, &ms[0]); err != nil {
			return n, err
		}
	}
	return n, nil
}

// attempt sends one claimed message and records the outcome.
func (d *Deliverer) attempt(ctx context.Context, m *org.OutboxMessage) error {
	answer, err := d.send(ctx, m)
	del := m.Delivery
	var outcome string
	switch {
	case err == nil:
		outcome = OutcomeDelivered
		del.State, del.SentAt, del.NextAttemptAt, del.LastAnswer = org.MailDelivered, d.opt.Now(), time.Time{}, answer
	case permanent(err):
		outcome = OutcomePermanentFailure
		del.State, del.NextAttemptAt, del.LastAnswer = org.MailFailed, time.Time{}, err.Error()
	default:
		outcome = OutcomeTemporaryFailure
		del.NextAttemptAt, del.LastAnswer = d.opt.Now().Add(d.backoff(m.Attempts)), err.Error()
	}
	if err != nil {
		d.opt.Log.Warn("mail: delivery failed", "seq", m.Seq, "to", m.To, "outcome", outcome, "attempts", m.Attempts, "err", err)
	}
	if d.opt.OnDelivery != nil {
		d.opt.OnDelivery(outcome)
	}
	if err := d.q.RecordDelivery(ctx, m.Seq, del); err != nil && !errors.Is(err, org.ErrNotFound) {
		return fmt.Errorf("mail: %w", err)
	}
	return nil
}

// backoff is the wait after the attempts-th attempt failed: MinBackoff doubled per attempt
// before it, at most MaxBackoff.
func (d *Deliverer) backoff(attempts int) time.Duration {
	b := d.opt.MinBackoff
	for i := 1; i < attempts && b < d.opt.MaxBackoff; i++ {
		b *= 2
	}
	return min(b, d.opt.MaxBackoff)
}

// refusal is a 5xx answer to the message itself (its sender, recipient or content): sending
// it again cannot succeed. A 5xx at connection, TLS or authentication time is the
// configuration's fault, not the message's, and is retried like a 4xx.
type refusal struct{ err *textproto.Error }

func (r refusal) Error() string { return r.err.Error() }

func permanent(err error) bool {
	var r refusal
	return errors.As(err, &r)
}

// messageStage wraps an error of MAIL, RCPT or DATA: a 5xx there refuses the message.
func messageStage(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return refusal{te}
	}
	return err
}

// send delivers m and returns the server's answer to its data.
func (d *Deliverer) send(ctx context.Context, m *org.OutboxMessage) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, d.opt.Lease)
	defer cancel()
	deadline, _ := ctx.Deadline()
	var conn net.Conn
	var err error
	dialer := &net.Dialer{}
	if d.implicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: d.tlsConfig()}).DialContext(ctx, "tcp", d.addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", d.addr)
	}
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", d.addr, err)
	}
	// An attempt may not outlive its lease, or another deliverer could send the message too.
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return "", fmt.Errorf("connect to %s: %w", d.addr, err)
	}
	c, err := smtp.NewClient(conn, d.host)
	if err != nil {
		conn.Close()
		return "", fmt.Errorf("greeting of %s: %w", d.addr, err)
	}
	defer c.Close()
	if err := c.Hello(helloName(d.domain)); err != nil {
		return "", fmt.Errorf("EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !d.implicit {
		if err := c.StartTLS(d.tlsConfig()); err != nil {
			return "", fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if d.auth != nil {
		if err := c.Auth(d.auth); err != nil {
			return "", fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(d.from); err != nil {
		return "", fmt.Errorf("MAIL FROM: %w", messageStage(err))
	}
	if err := c.Rcpt(m.To); err != nil {
		return "", fmt.Errorf("RCPT TO: %w", messageStage(err))
	}
	// DATA by hand: net/smtp's data writer drops the server's final answer ("250 queued
	// as ..."), which the outbox keeps to trace the message in the server's logs.
	answer, err := data(c.Text, d.Compose(m))
	if err != nil {
		return "", fmt.Errorf("DATA: %w", err)
	}
	// The message is accepted: a failing QUIT changes nothing.
	_ = c.Quit()
	return answer, nil
}

// data sends msg with DATA and returns the server's answer. The responses are read in the
// command's turn of the connection's pipeline, as net/smtp's own commands wait for it.
func data(text *textproto.Conn, msg []byte) (string, error) {
	id, err := text.Cmd("DATA")
	if err != nil {
		return "", err
	}
	text.StartResponse(id)
	defer text.EndResponse(id)
	if _, _, err := text.ReadResponse(354); err != nil {
		return "", messageStage(err)
	}
	w := text.DotWriter()
	if _, err := w.Write(msg); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	code, answer, err := text.ReadResponse(250)
	if err != nil {
		return "", messageStage(err)
	}
	return strconv.Itoa(code) + " " + answer, nil
}

func (d *Deliverer) tlsConfig() *tls.Config {
	if d.opt.TLS != nil {
		c := d.opt.TLS.Clone()
		if c.ServerName == "" {
			c.ServerName = d.host
		}
		return c
	}
	return &tls.Config{ServerName: d.host}
}

// helloName is the name orgd gives in EHLO: the host's name, which servers may check, or
// the sender's domain when it has none.
func helloName(domain string) string {
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return domain
}

// MessageID is m's Message-ID. It is derived from what the store keeps of the message (its
// sequence number and creation time), never drawn at random, so that every attempt sends
// the same one.
func (d *Deliverer) MessageID(m *org.OutboxMessage) string {
	return fmt.Sprintf("<outbox.%d.%d@%s>", m.Seq, m.CreatedAt.UnixMilli(), d.domain)
}

// Compose renders m as an RFC 5322 message: plain text in UTF-8, quoted-printable so that
// notes of any length and script pass any server.
func (d *Deliverer) Compose(m *org.OutboxMessage) []byte {
	var b bytes.Buffer
	header := func(k, v string) {
		// The values come from the store; a line break in one would start a header of its own.
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	header("From", d.from)
	header("To", m.To)
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", d.opt.Now().UTC().Format(time.RFC1123Z))
	header("Message-ID", d.MessageID(m))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	_, _ = io.WriteString(qp, body) // writes to a bytes.Buffer do not fail
	_ = qp.Close()
	return b.Bytes()
}
