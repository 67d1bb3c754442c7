package main

import "syscall"

// sysProcAttr makes the kernel kill a server child when the bench dies without cleaning up
// (SIGKILL, a crash): Go children would also stop when their stdin closes, but moto would not.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
