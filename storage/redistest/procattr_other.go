//go:build !linux

package redistest

import "syscall"

// dieWithParent: only Linux can tie a child's life to its parent's; elsewhere the cleanups and M
// stop the servers.
func dieWithParent() *syscall.SysProcAttr { return nil }
