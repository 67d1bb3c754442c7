// Command orgd is a self-hosted, wire-compatible AWS Organizations server.
//
//	orgd serve                 start the server (see orgd serve -h)
//	orgd accounts [add|get|remove ...]  list, register, show or remove accounts (admin API)
//	orgd roles [add ...]       list or declare the roles STS's AssumeRole can assume
//	orgd outbox                show the e-mails AWS would have sent
//	orgd reset [--yes]         wipe all state (asks first on a terminal)
//	orgd export | import FILE  save or restore the whole state as a snapshot document
//	orgd bootstrap FILE        build a YAML or JSON file's organization in an empty store
//	orgd mirror                copy a real organization into an empty orgd
//	orgd clock [--advance D]   show or move the server's clock
//	orgd simulate | impact     the policy simulator and the impact of SCP changes
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
