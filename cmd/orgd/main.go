// Command orgd is a self-hosted, wire-compatible AWS Organizations server.
//
//	orgd serve                 start the server (see orgd serve -h)
//	orgd accounts [add ...]    list or register accounts through the admin API
//	orgd outbox                show the e-mails AWS would have sent
//	orgd reset                 wipe all state
//	orgd clock [--advance D]   show or move the server's clock
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	m := NewMain()
	err := m.Run(ctx, os.Args[1:])
	stop()
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "orgd:", err)
		os.Exit(1)
	}
}
