package install

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// StateLifetime is how long an install link stays good: from /slack/install to Slack's redirect
// back, the installer reads Slack's consent page.
const StateLifetime = 10 * time.Minute

// errBadState covers every state refused: unsigned, altered, expired, not this browser's, or used.
// The installer is told the same for each: start again.
var errBadState = errors.New("oauth state refused")

// stateSigner makes and checks the OAuth state: 16 random bytes (the nonce, used once) and the
// Unix second it expires, signed with HMAC-SHA256 under RAPPORT_STATE_SECRET. Any replica checks
// a state another made.
type stateSigner struct{ secret []byte }

const stateContext = "rapport oauth state v1\x00"

// make returns a fresh state expiring at expires.
func (s stateSigner) make(expires time.Time) (string, error) {
	payload := make([]byte, 24)
	if _, err := rand.Read(payload[:16]); err != nil {
		return "", err
	}
	binary.BigEndian.PutUint64(payload[16:], uint64(expires.Unix()))
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload)), nil
}

// check verifies state's signature and expiry at now, and returns its nonce and expiry.
func (s stateSigner) check(state string, now time.Time) (nonce string, expires time.Time, err error) {
	p, m, ok := strings.Cut(state, ".")
	if !ok {
		return "", time.Time{}, errBadState
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	mac, err2 := base64.RawURLEncoding.DecodeString(m)
	if err1 != nil || err2 != nil || len(payload) != 24 || !hmac.Equal(mac, s.mac(payload)) {
		return "", time.Time{}, errBadState
	}
	expires = time.Unix(int64(binary.BigEndian.Uint64(payload[16:])), 0)
	if !now.Before(expires) {
		return "", time.Time{}, errBadState
	}
	return hex.EncodeToString(payload[:16]), expires, nil
}

func (s stateSigner) mac(payload []byte) []byte {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(stateContext))
	h.Write(payload)
	return h.Sum(nil)
}
