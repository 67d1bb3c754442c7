//go:build unix && !linux

package pgtest

import "syscall"

// quitSignal asks postgres for an immediate shutdown.
const quitSignal = syscall.SIGQUIT

// sysProcAttr runs initdb and postgres as as, when set. Outside Linux there is no
// parent-death signal: a test binary killed before Main returns leaves its server running.
func sysProcAttr(as *account) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{}
	if as != nil {
		a.Credential = &syscall.Credential{Uid: uint32(as.uid), Gid: uint32(as.gid)}
	}
	return a
}

// alive reports true: without a parent-death signal, the server of a dead test binary may
// still run in its directory.
func alive(int) bool { return true }
