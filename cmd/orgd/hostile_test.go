package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

// TestServeSurvivesSlowClients: hundreds of connections that send nothing, and more that
// trickle a request a byte at a time (slowloris), hold no capacity normal requests need,
// and shutdown does not wait on them.
func TestServeSurvivesSlowClients(t *testing.T) {
	url, stop := serveOrgd(t, "--listen", "127.0.0.1:0", "--db", "memory")
	addr := strings.TrimPrefix(url, "http://")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var conns []net.Conn
	var mu sync.Mutex
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %s: %v", addr, err)
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		return c
	}
	const idle, trickling = 300, 200
	for range idle {
		dial()
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range trickling {
		c := dial()
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := fmt.Sprintf("POST / HTTP/1.1\r\nHost: %s\r\nX-Amz-Target: AWSOrganizationsV20161128.ListRoots\r\nX-Slow-%d: ", addr, i)
			for j := 0; ; j++ {
				b := "a"
				if j < len(req) {
					b = req[j : j+1]
				}
				if _, err := c.Write([]byte(b)); err != nil {
					return // the server cut it off
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(200 * time.Millisecond):
				}
			}
		}()
	}

	// Meanwhile normal requests are answered, over fresh connections each.
	for i := range 20 {
		c := client(url, "111111111111")
		reqCtx, done := context.WithTimeout(t.Context(), 30*time.Second)
		var err error
		if i == 0 {
			_, err = c.CreateOrganization(reqCtx, &organizations.CreateOrganizationInput{}, fresh)
		} else {
			_, err = c.DescribeOrganization(reqCtx, &organizations.DescribeOrganizationInput{}, fresh)
		}
		done()
		if err != nil {
			t.Fatalf("request %d beside %d idle and %d trickling connections: %v", i, idle, trickling, err)
		}
	}

	// Shutdown cuts the slow connections off rather than wait for them; the bound is
	// generous for a loaded machine, far below their patience (they never finish).
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if d := time.Since(start); d > shutdownGrace+15*time.Second {
		t.Errorf("shutdown took %v with slow clients connected", d)
	}
}

// fresh makes a client open a connection of its own rather than reuse an idle one, as a
// new client would.
func fresh(o *organizations.Options) {
	o.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}
