package bot

import "sync/atomic"

// connStatus is whether the Socket Mode connection is up, for /readyz.
type connStatus struct{ up atomic.Bool }

func (s *connStatus) set(up bool) { s.up.Store(up) }
func (s *connStatus) get() bool   { return s.up.Load() }
