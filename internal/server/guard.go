package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/orgd/orgd/internal/model"
)

// guard refuses, on every path, the requests a web page could make to orgd:
//
//   - a Host header that names neither the address the request arrived on, nor loopback
//     with that port, nor a public host. DNS rebinding points a name the page controls at
//     orgd's address, so the browser sends the page's name as the Host; in open mode any
//     access key works, so a rebound page could otherwise call the whole AWS API.
//   - an Origin header other than the server's own: a browser sends one with every
//     cross-origin POST, even one that needs no preflight.
//
// orgd never answers with CORS headers, so a page cannot read what it gets back either.
type guard struct {
	next   http.Handler
	logger *slog.Logger
	// names are public host names any port matches; hostPorts are host:port pairs, both in
	// lower case.
	names, hostPorts map[string]bool
}

func newGuard(next http.Handler, publicHosts []string, logger *slog.Logger) *guard {
	g := &guard{next: next, logger: logger, names: map[string]bool{}, hostPorts: map[string]bool{}}
	for _, h := range publicHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if host, port, err := net.SplitHostPort(h); err == nil {
			g.hostPorts[net.JoinHostPort(strings.TrimSuffix(host, "."), port)] = true
		} else if h != "" {
			g.names[strings.TrimSuffix(strings.Trim(h, "[]"), ".")] = true
		}
	}
	return g
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.hostAllowed(r) {
		g.refuse(w, r, fmt.Sprintf("Host %q names neither this server's address, nor loopback, nor a --public-host", r.Host))
		return
	}
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, "http://"+r.Host) && !strings.EqualFold(o, "https://"+r.Host) {
		g.refuse(w, r, fmt.Sprintf("Origin %q is not this server's (Host %q)", o, r.Host))
		return
	}
	g.next.ServeHTTP(w, r)
}

// hostAllowed reports whether the request's Host header names this server.
func (g *guard) hostAllowed(r *http.Request) bool {
	if r.Host == "" {
		return false
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		// No port: the scheme's default, and orgd itself speaks only HTTP.
		host, port = r.Host, "80"
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if g.names[host] || len(g.hostPorts) > 0 && g.hostPorts[net.JoinHostPort(host, port)] {
		return true
	}
	// Without a connection (a handler called in-process, as benchmarks do) there is no
	// port to compare and no address the request arrived on: loopback names only. (The
	// checks allocate nothing: every request of every protocol passes here.)
	local, _ := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
	if local != nil {
		if n, err := strconv.Atoi(port); err != nil || n != local.Port {
			return false
		}
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return false
	}
	ip = ip.Unmap()
	return ip.IsLoopback() || local != nil && ip == netipOf(local.IP)
}

// netipOf is a connection's local address as a comparable value (IPv4 unmapped).
func netipOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

func (g *guard) refuse(w http.ResponseWriter, r *http.Request, detail string) {
	e := &model.Error{Code: model.CodeAccessDeniedException, Status: http.StatusForbidden, Detail: detail}
	g.logger.Log(context.Background(), slog.LevelWarn, "request refused", "method", r.Method, "path", r.URL.Path,
		"remote", r.RemoteAddr, "code", e.Code, "detail", e.Detail)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.HTTPStatus())
	w.Write(e.AppendJSON(nil, model.ForeignRequest))
}
