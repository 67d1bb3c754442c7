package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/orgd/orgd/internal/mail"
	"github.com/orgd/orgd/internal/org"
)

// testCert is a self-signed certificate for 127.0.0.2, and a pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "orgd test SMTP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.2")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// authSession is the test server's session with PLAIN authentication, for user u, password p.
type authSession struct {
	session
	authed *bool
}

func (se *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "u" || pass != "p" {
			return errors.New("bad credentials")
		}
		*se.authed = true
		return nil
	}), nil
}

// startTLSSink serves SMTP with TLS on 127.0.0.2 (not loopback by name, so net/smtp sends
// credentials only over TLS): STARTTLS offered, or TLS from the first byte when implicit.
func startTLSSink(t *testing.T, cert tls.Certificate, implicit bool) (*sink, *bool) {
	t.Helper()
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	var ln net.Listener
	var err error
	if implicit {
		ln, err = tls.Listen("tcp", "127.0.0.2:0", cfg)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.2:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{addr: ln.Addr().String()}
	authed := new(bool)
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &authSession{session: session{s: s}, authed: authed}, nil
	}))
	s.srv.Domain = "localhost"
	if !implicit {
		s.srv.TLSConfig = cfg
	}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s, authed
}

// A server that offers STARTTLS gets the message, and the credentials, over TLS; so does an
// smtps:// server from the first byte. A certificate the deliverer does not trust is a
// temporary failure and nothing is sent.
func TestDeliveryOverTLS(t *testing.T) {
	cert, pool := testCert(t)
	for _, tc := range []struct {
		name     string
		scheme   string
		implicit bool
	}{{"STARTTLS", "smtp", false}, {"smtps", "smtps", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s, authed := startTLSSink(t, cert, tc.implicit)
			f := newFixture(t, memStore(t), s.addr)
			d, err := mail.New(f.svc, mail.Options{Server: tc.scheme + "://u:p@" + s.addr, Now: f.clock.Now,
				TLS: &tls.Config{RootCAs: pool}})
			if err != nil {
				t.Fatal(err)
			}
			f.d = d
			m := f.add(t, "juan@example.com", "Invitation", "Hello over TLS")
			f.deliver(t, 1)
			if got := f.message(t, m.Seq); got.State != org.MailDelivered {
				t.Fatalf("over %s: %+v, want delivered", tc.name, got.Delivery)
			}
			if !*authed {
				t.Error("the deliverer did not authenticate")
			}
			if r := s.received(); len(r) != 1 || !strings.Contains(string(r[0].data), "Hello over TLS") {
				t.Errorf("the server received %d messages, want the one sent", len(r))
			}

			// Without the test's root the certificate is unknown: retried later, nothing sent.
			untrusted, err := mail.New(f.svc, mail.Options{Server: tc.scheme + "://u:p@" + s.addr, Now: f.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			f.d = untrusted
			m2 := f.add(t, "juan@example.com", "Invitation", "Hello again")
			f.deliver(t, 1)
			got := f.message(t, m2.Seq)
			if got.State != org.MailPending || !strings.Contains(got.LastAnswer, "certificate") {
				t.Errorf("with an untrusted certificate: %+v, want pending with the certificate error", got.Delivery)
			}
			if n := len(s.received()); n != 1 {
				t.Errorf("the server received %d messages, want still 1", n)
			}
		})
	}
}
