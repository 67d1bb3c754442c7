//go:build !linux

package main

import "syscall"

// sysProcAttr: outside Linux there is no parent-death signal; Go children still stop when
// their stdin closes, and Main.Close stops moto.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
