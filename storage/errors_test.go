package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// reply is a Redis error reply, as go-redis returns one.
type reply string

func (r reply) Error() string { return string(r) }
func (r reply) RedisError()   {}

var _ redis.Error = reply("")

func TestFail(t *testing.T) {
	userFacing := rapport.Errorf(rapport.ENOTFOUND, "There is no referral R-3.")
	fields := rapport.FieldErrors{rapport.FieldReceiver: "helper is a bot; choose a member."}
	taken := &rapport.ProspectTaken{Number: 1, Receiver: "UROB"}
	refused := &rapport.Refused{Ref: 1, Reason: "status"}
	tests := []struct {
		name string
		err  error
		want string // the Code of the *rapport.Error fail returns; "" when err must come back as it was
	}{
		{"Nil", nil, ""},
		{"UserFacing", userFacing, ""},
		{"FieldErrors", fields, ""},
		{"ProspectTaken", taken, ""},
		{"Refused", refused, ""},
		{"RedisNil", redis.Nil, rapport.ENOTFOUND},
		{"RedisNilWrapped", fmt.Errorf("get: %w", redis.Nil), rapport.ENOTFOUND},
		{"ConnectionRefused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, rapport.EUNAVAILABLE},
		{"ConnectionRefusedErrno", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), rapport.EUNAVAILABLE},
		{"ConnectionReset", syscall.ECONNRESET, rapport.EUNAVAILABLE},
		{"EOF", io.EOF, rapport.EUNAVAILABLE},
		{"DeadlineExceeded", context.DeadlineExceeded, rapport.EUNAVAILABLE},
		{"Canceled", fmt.Errorf("run: %w", context.Canceled), rapport.EUNAVAILABLE},
		{"PoolTimeout", redis.ErrPoolTimeout, rapport.EUNAVAILABLE},
		{"ClientClosed", redis.ErrClosed, rapport.EUNAVAILABLE},
		{"Loading", reply("LOADING Redis is loading the dataset in memory"), rapport.EUNAVAILABLE},
		{"Busy", reply("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."), rapport.EUNAVAILABLE},
		{"MasterDown", reply("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."), rapport.EUNAVAILABLE},
		{"TryAgain", reply("TRYAGAIN Multiple keys request during rehashing of slot"), rapport.EUNAVAILABLE},
		{"ClusterDown", reply("CLUSTERDOWN The cluster is down"), rapport.EUNAVAILABLE},
		{"ReadOnly", reply("READONLY You can't write against a read only replica."), rapport.EUNAVAILABLE},
		{"BusyGroup", reply("BUSYGROUP Consumer Group name already exists"), rapport.EINTERNAL},
		{"ScriptError", reply("ERR user_script:3: Script attempted to access nonexistent global variable 'x'"), rapport.EINTERNAL},
		{"WrongType", reply("WRONGTYPE Operation against a key holding the wrong kind of value"), rapport.EINTERNAL},
		{"Other", errors.New("unexpected reply [1]"), rapport.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fail("move R-3", tt.err)
			if tt.want == "" {
				if !reflect.DeepEqual(got, tt.err) {
					t.Fatalf("fail(%v) = %v; want it unchanged", tt.err, got)
				}
				return
			}
			var e *rapport.Error
			if !errors.As(got, &e) {
				t.Fatalf("fail(%v) = %T %v; want a *rapport.Error", tt.err, got, got)
			}
			if e.Code != tt.want || e.Op != "move R-3" || e.Err != tt.err || e.Message != "" {
				t.Errorf("fail(%v) = %+v; want Code %s, Op \"move R-3\", Err the cause, no Message", tt.err, *e, tt.want)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("errors.Is(fail(err), err) = false for %v", tt.err)
			}
		})
	}
}

// TestUnsent: only an error that proves the command never reached Redis, or that Redis refused
// it unrun, may become "not saved"; a lost reply leaves the outcome in doubt.
func TestUnsent(t *testing.T) {
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"DialRefused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"DialTimeout", &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}, true},
		{"WriteBroken", &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}, true},
		{"PoolTimeout", redis.ErrPoolTimeout, true},
		{"ClientClosed", redis.ErrClosed, true},
		{"Busy", reply("BUSY Redis is busy running a script."), true},
		{"ReadTimeout", timeout, false},
		{"ReadReset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, false},
		{"EOF", io.EOF, false},
		{"DeadlineExceeded", context.DeadlineExceeded, false},
		{"Canceled", fmt.Errorf("run: %w", context.Canceled), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unsent(tt.err); got != tt.want {
				t.Errorf("unsent(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
