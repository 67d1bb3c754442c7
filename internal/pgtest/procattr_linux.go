package pgtest

import "syscall"

// quitSignal asks postgres for an immediate shutdown.
const quitSignal = syscall.SIGQUIT

// sysProcAttr runs initdb and postgres as as, when set, and makes the kernel kill the
// server when the process that started it dies without stopping it (SIGKILL, a crash, a
// test timeout). Go sets the parent-death signal after switching users, which would
// otherwise clear it.
func sysProcAttr(as *account) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if as != nil {
		a.Credential = &syscall.Credential{Uid: uint32(as.uid), Gid: uint32(as.gid)}
	}
	return a
}

// alive reports whether process pid exists. On Linux a server does not outlive the process
// that started it, so the directory of a dead one is free to remove.
func alive(pid int) bool { return syscall.Kill(pid, 0) != syscall.ESRCH }
