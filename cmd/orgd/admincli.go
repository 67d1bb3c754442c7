package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// The everyday admin commands (issue 14 §5): lists that page, one account shown or removed,
// and a reset that asks first on a terminal.

// list prints a list of the admin API: every page, following each answer's Next, as one
// answer without Next; or with --after TOKEN the one page after TOKEN as the API answers it,
// Next included.
func (m *Main) list(ctx context.Context, name string, args []string, path, field string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cf := addClientFlags(fs)
	after := fs.String("after", "", "print the one page after this token (a previous page's Next) instead of every page")
	if err := m.parseFlagsOnly(fs, args); err != nil {
		return err
	}
	one := false
	fs.Visit(func(f *flag.Flag) { one = one || f.Name == "after" })
	if one {
		return m.request(ctx, cf, http.MethodGet, path+"?after="+url.QueryEscape(*after), nil)
	}
	all := []json.RawMessage{}
	for token := ""; ; {
		p := path
		if token != "" {
			p += "?after=" + url.QueryEscape(token)
		}
		raw, err := m.send(ctx, cf, http.MethodGet, p, nil)
		if err != nil {
			return err
		}
		var page map[string]json.RawMessage
		var items []json.RawMessage
		var next string
		if err := json.Unmarshal(raw, &page); err != nil {
			return fmt.Errorf("GET %s: the answer is not a JSON object: %w", p, err)
		}
		if err := json.Unmarshal(page[field], &items); err != nil {
			return fmt.Errorf("GET %s: the answer has no list %s: %w", p, field, err)
		}
		if n, ok := page["Next"]; ok {
			if err := json.Unmarshal(n, &next); err != nil {
				return fmt.Errorf("GET %s: Next is not a string: %w", p, err)
			}
		}
		all = append(all, items...)
		if next == "" {
			break
		}
		// A server whose Next does not move on would be followed forever.
		if next == token {
			return fmt.Errorf("GET %s: the answer's Next is the token it was asked with, %q", p, next)
		}
		token = next
	}
	raw, err := json.Marshal(map[string][]json.RawMessage{field: all})
	if err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, indented(raw))
	return nil
}

// account runs "accounts get ID" (GET) and "accounts remove ID" (DELETE). The id may come
// before the flags or after them.
func (m *Main) account(ctx context.Context, name string, args []string, method string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cf := addClientFlags(fs)
	id := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
		if err := m.parseFlags(fs, fs.Args()[1:]); err != nil {
			return err
		}
	}
	if id == "" || fs.NArg() > 0 {
		return &UsageError{Command: name, Err: fmt.Errorf("want one account id, got %q", append(nonEmpty(id), fs.Args()...))}
	}
	return m.request(ctx, cf, method, "/_orgd/accounts/"+url.PathEscape(id), nil)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// reset wipes orgd's state; on a terminal it asks first, unless --yes. Off a terminal (a
// script, CI) it does not ask: there is no one to answer.
func (m *Main) reset(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reset", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cf := addClientFlags(fs)
	yes := fs.Bool("yes", false, "do not ask for confirmation (orgd asks only when standard input is a terminal)")
	empty := fs.Bool("empty", false, "leave the store empty even when serve has --bootstrap (before orgd import)")
	if err := m.parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if !*yes {
		ok, err := confirm(m.Stdin, m.Stderr, m.StdinTerminal, fmt.Sprintf("Wipe all of the state of the orgd at %s? [y/N] ", *cf.endpoint))
		if err != nil {
			return fmt.Errorf("reset: %w", err)
		}
		if !ok {
			return errors.New("reset: not confirmed: nothing changed")
		}
	}
	return m.request(ctx, cf, http.MethodPost, "/_orgd/reset", struct{ Empty bool }{*empty})
}

// confirm asks question on out and reads the answer from in when terminal is true; y or yes
// (in any case) is a yes, anything else, or no answer, a no. Without a terminal it asks
// nothing and answers yes.
func confirm(in io.Reader, out io.Writer, terminal bool, question string) (bool, error) {
	if !terminal {
		return true, nil
	}
	fmt.Fprint(out, question)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("read the answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// endpointURL is --endpoint as a base URL: an http:// or https:// URL, or host:port, which
// means http://host:port.
func endpointURL(endpoint string) (string, error) {
	s := endpoint
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--endpoint %q: want HOST:PORT, or an http:// or https:// URL", endpoint)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// callError is what a failed call to the admin API says: when nothing listens at the
// endpoint, one line on what to do rather than the dialer's error.
func callError(endpoint string, err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("orgd does not answer at %s (connection refused): start it with \"orgd serve\", or point --endpoint (or ORGD_ENDPOINT) at where it serves", endpoint)
	}
	return fmt.Errorf("call orgd at %s: %w", endpoint, err)
}
