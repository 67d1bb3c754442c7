package main

import (
	"context"
	"io"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/emersion/go-smtp"
)

// mailbox is an SMTP server started inside the test that keeps what it is sent.
type mailbox struct {
	mu   sync.Mutex
	msgs [][]byte
}

type mailboxSession struct{ mb *mailbox }

func (s mailboxSession) Reset()                               {}
func (s mailboxSession) Logout() error                        { return nil }
func (s mailboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s mailboxSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s mailboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.mb.mu.Lock()
	s.mb.msgs = append(s.mb.msgs, b)
	s.mb.mu.Unlock()
	return err
}

func startMailbox(t *testing.T) (*mailbox, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return mailboxSession{mb}, nil }))
	srv.Domain = "localhost"
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return mb, ln.Addr().String()
}

// TestServeDeliversInvitationOverSMTP: with --smtp, Bill's invitation reaches Juan's
// mailbox with the notes and the console link under --public-url, and orgd outbox shows it
// delivered with the server's answer.
func TestServeDeliversInvitationOverSMTP(t *testing.T) {
	mb, addr := startMailbox(t)
	url, _ := serveOrgd(t, "--listen", "127.0.0.1:0", "--db", "memory", "--smtp", "smtp://"+addr,
		"--public-url", "https://orgd.example.net/", "--mail-from", "orgd@example.net")
	c := client(url, "AKIA111111111111")
	ctx := t.Context()
	if _, err := c.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	h, err := c.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeEmail, Id: aws.String("juan@example.com")},
		Notes:  aws.String("Welcome, Juan.")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(h.Handshake.Id)
	var got []byte
	for deadline := time.Now().Add(15 * time.Second); got == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mb.mu.Lock()
		if len(mb.msgs) > 0 {
			got = mb.msgs[0]
		}
		mb.mu.Unlock()
	}
	if got == nil {
		t.Fatal("no e-mail reached the mailbox")
	}
	msg, err := netmail.ReadMessage(strings.NewReader(string(got)))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("To") != "juan@example.com" || msg.Header.Get("From") != "orgd@example.net" {
		t.Errorf("headers %v", msg.Header)
	}
	for _, want := range []string{"Welcome, Juan.", "https://orgd.example.net/console/handshakes/" + id + "\r\n", "expires on"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the e-mail lacks %q:\n%s", want, body)
		}
	}
	var outbox string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		// The server answered before orgd recorded it: the record follows shortly.
		if outbox = run(t, url, "outbox"); strings.Contains(outbox, `"State": "delivered"`) {
			break
		}
	}
	for _, want := range []string{`"State": "delivered"`, `"Attempts": 1`, `"LastAnswer": "250 `} {
		if !strings.Contains(outbox, want) {
			t.Errorf("orgd outbox lacks %q:\n%s", want, outbox)
		}
	}

	// Fifteen days on, unanswered, the invitation expires: the deliverer notices it and Bill
	// is told, once.
	run(t, url, "clock", "--advance", "360h")
	got = nil
	for deadline := time.Now().Add(15 * time.Second); got == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mb.mu.Lock()
		if len(mb.msgs) > 1 {
			got = mb.msgs[1]
		}
		mb.mu.Unlock()
	}
	if got == nil {
		t.Fatal("no e-mail about the expired invitation reached the mailbox")
	}
	if msg, err = netmail.ReadMessage(strings.NewReader(string(got))); err != nil {
		t.Fatal(err)
	}
	if subject := msg.Header.Get("Subject"); !strings.Contains(subject, "juan@example.com") || !strings.Contains(subject, "expired") {
		t.Errorf("the second e-mail's subject is %q, want the expiry of Juan's invitation", subject)
	}
	time.Sleep(2 * time.Second) // two more polls of the deliverer
	mb.mu.Lock()
	n := len(mb.msgs)
	mb.mu.Unlock()
	if n != 2 {
		t.Errorf("the mailbox holds %d messages, want the invitation and one expiry notice", n)
	}
}

// TestServeRefusesBadMailFlags: a --smtp or --public-url orgd cannot use stops the start.
func TestServeRefusesBadMailFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--smtp", "http://mail.example.com:25"},
		{"--smtp", "smtp://mail.example.com"},
		{"--public-url", "ftp://orgd.example.net"},
		{"--public-url", "https://u:p@orgd.example.net"},
		{"--smtp", "smtp://127.0.0.1:25", "--mail-from", "nobody"},
	} {
		m := NewMain()
		m.Stderr = io.Discard
		// A canceled context: a start that is not refused stops at once instead of serving.
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := m.Run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0", "--db", "memory"}, args...))
		if err == nil {
			t.Errorf("serve %v started", args)
		}
	}
}
