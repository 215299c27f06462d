package storage_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestWithLock(t *testing.T) {
	f := newFixture(t)
	inside := make(chan struct{})
	release := make(chan struct{})
	var runs atomic.Int32
	job := func(ctx context.Context) error {
		runs.Add(1)
		close(inside)
		<-release
		return nil
	}

	var wg sync.WaitGroup
	var ran1 bool
	var err1 error
	wg.Go(func() { ran1, err1 = f.st.WithLock(ctx(t), team, "digest", time.Minute, job) })
	<-inside // the first holds the lock
	ran2, err2 := f.st.WithLock(ctx(t), team, "digest", time.Minute, job)
	close(release)
	wg.Wait()

	if !ran1 || err1 != nil {
		t.Errorf("first WithLock = %v, %v; want ran", ran1, err1)
	}
	if ran2 || err2 != nil {
		t.Errorf("second WithLock = %v, %v; want not ran, no error", ran2, err2)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("job ran %d times, want 1", n)
	}
	if keys := f.keys(t); len(keys) != 1 { // only the directory: the lock was released
		t.Errorf("keys after the job: %v", keys)
	}

	// Released: the next run takes it, and fn's error comes back.
	boom := errors.New("boom")
	ran, err := f.st.WithLock(ctx(t), team, "digest", time.Minute, func(context.Context) error { return boom })
	if !ran || !errors.Is(err, boom) {
		t.Errorf("WithLock after release = %v, %v; want ran, boom", ran, err)
	}
	// Another team's lock of the same job is apart.
	if ran, err := f.st.WithLock(ctx(t), "T0002", "digest", time.Minute, func(context.Context) error { return nil }); !ran || err != nil {
		t.Errorf("WithLock of another team = %v, %v", ran, err)
	}
}

func TestWithLockTwoAtOnce(t *testing.T) {
	f := newFixture(t)
	var runs atomic.Int32
	release := make(chan struct{})
	results := make(chan bool, 2)
	for range 2 {
		go func() {
			ran, err := f.st.WithLock(ctx(t), team, "digest", time.Minute, func(ctx context.Context) error {
				runs.Add(1)
				select { // hold the lock until the other has been turned away
				case <-release:
				case <-ctx.Done():
				}
				return nil
			})
			if err != nil {
				t.Errorf("WithLock: %v", err)
			}
			results <- ran
		}()
	}
	first := <-results // the holder waits, so the first back is the one turned away
	close(release)
	second := <-results
	if first || !second || runs.Load() != 1 {
		t.Errorf("ran = %v then %v, %d runs; want one run", first, second, runs.Load())
	}
}

func TestWithLockExpires(t *testing.T) {
	f := newFixture(t)
	ran, err := f.st.WithLock(ctx(t), team, "slow", 50*time.Millisecond, func(ctx context.Context) error {
		<-ctx.Done() // the lock's deadline ends the job
		return nil
	})
	if !ran || err == nil {
		t.Errorf("WithLock of a job outrunning its lock = %v, %v; want ran and an error", ran, err)
	}
}
