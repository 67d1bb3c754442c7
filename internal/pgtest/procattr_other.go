//go:build !unix

package pgtest

import (
	"os"
	"syscall"
)

// quitSignal: without Unix signals, stopping the server kills it.
var quitSignal = os.Kill

// sysProcAttr: outside Unix a process cannot be started as another user (tests never run
// as root there), and there is no parent-death signal.
func sysProcAttr(*account) *syscall.SysProcAttr { return nil }

// alive reports true: the server of a dead test binary may still run in its directory.
func alive(int) bool { return true }
