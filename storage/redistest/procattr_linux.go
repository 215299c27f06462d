package redistest

import "syscall"

// dieWithParent has Linux kill a redis-server when the test binary that started it dies, even when
// it dies without running its cleanups (a test timeout's panic, a kill).
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
