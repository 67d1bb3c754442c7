// Command orgd is a self-hosted, wire-compatible AWS Organizations server.
//
//	orgd serve                 start the server (see orgd serve -h)
//	orgd accounts [add|get|remove ...]  list, register, show or remove accounts (admin API)
//	orgd outbox                show the e-mails AWS would have sent
//	orgd reset [--yes]         wipe all state (asks first on a terminal)
//	orgd clock [--advance D]   show or move the server's clock
//	orgd health                ask a running orgd whether it is alive
//	orgd version               print the version (stamped with -ldflags "-X main.version=...")
package main

import (
	"context"
	"errors"
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
		// A command line orgd cannot parse exits 2, as the flag package's own does.
		var ue *UsageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
