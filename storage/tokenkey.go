package storage

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Names of the variables the keyring is read from, quoted by its errors so an operator knows which
// one to mend.
const (
	EnvTokenKey    = "RAPPORT_TOKEN_KEY"
	EnvTokenKeyOld = "RAPPORT_TOKEN_KEY_OLD"
)

// Errors of Keyring.Open, for errors.Is.
var (
	// ErrUnknownTokenKey: the token was sealed under a key the keyring does not hold.
	ErrUnknownTokenKey = errors.New("token sealed under a key not in " + EnvTokenKey + " or " + EnvTokenKeyOld)
	// ErrTokenTampered: the ciphertext does not authenticate (changed, cut, or moved from another team).
	ErrTokenTampered = errors.New("sealed token does not authenticate: changed, or not this team's")
)

// sealedPrefix versions the sealed form: "v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>".
const sealedPrefix = "v1."

// Keyring encrypts bot tokens at rest with AES-256-GCM. It seals under its current key and opens
// under any of its keys, so a key is rotated in three steps: the new key goes in RAPPORT_TOKEN_KEY
// and the old one in RAPPORT_TOKEN_KEY_OLD, Store.ResealTokens seals every token under the new key,
// then the old key is dropped. Each sealed token names its key by an ID (the first 8 hex digits of
// the key's SHA-256), carries a random 96-bit nonce, and is bound to its team (the team ID is
// GCM's additional data): a ciphertext copied to another team's record does not open.
type Keyring struct {
	current tokenKey
	old     []tokenKey
}

type tokenKey struct {
	id   string
	aead cipher.AEAD
}

// ParseKeyring reads the keyring from RAPPORT_TOKEN_KEY (current: 32 bytes in base64, as
// `openssl rand -base64 32` prints) and RAPPORT_TOKEN_KEY_OLD (old: "" or such keys, comma-separated).
// Its errors name the variable and never quote a key.
func ParseKeyring(current, old string) (*Keyring, error) {
	if strings.TrimSpace(current) == "" {
		return nil, fmt.Errorf("%s is empty: set it to 32 random bytes in base64 (openssl rand -base64 32)", EnvTokenKey)
	}
	cur, err := decodeTokenKey(EnvTokenKey, current)
	if err != nil {
		return nil, err
	}
	var olds [][]byte
	for i, o := range strings.Split(old, ",") {
		if strings.TrimSpace(o) == "" {
			continue
		}
		k, err := decodeTokenKey(fmt.Sprintf("%s (key %d)", EnvTokenKeyOld, i+1), o)
		if err != nil {
			return nil, err
		}
		olds = append(olds, k)
	}
	return NewKeyring(cur, olds...)
}

func decodeTokenKey(name, s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	var k []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if k, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s is not base64: set it to 32 random bytes in base64 (openssl rand -base64 32)", name)
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("%s decodes to %d bytes, want 32 (AES-256): set it to 32 random bytes in base64 (openssl rand -base64 32)", name, len(k))
	}
	return k, nil
}

// NewKeyring makes a keyring of 32-byte keys: current seals, every one opens.
func NewKeyring(current []byte, old ...[]byte) (*Keyring, error) {
	cur, err := newTokenKey(current)
	if err != nil {
		return nil, err
	}
	kr := &Keyring{current: cur}
	for _, o := range old {
		k, err := newTokenKey(o)
		if err != nil {
			return nil, err
		}
		if k.id != cur.id {
			kr.old = append(kr.old, k)
		}
	}
	return kr, nil
}

func newTokenKey(raw []byte) (tokenKey, error) {
	if len(raw) != 32 {
		return tokenKey{}, fmt.Errorf("token key is %d bytes, want 32 (AES-256)", len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return tokenKey{}, fmt.Errorf("token key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return tokenKey{}, fmt.Errorf("token key: %w", err)
	}
	return tokenKey{id: TokenKeyID(raw), aead: aead}, nil
}

// TokenKeyID names a key without revealing it: the first 8 hex digits of its SHA-256. Operators
// compare it with the IDs `rapport doctor` reports to tell which key sealed the tokens.
func TokenKeyID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:4])
}

// CurrentID is the ID of the key that seals.
func (kr *Keyring) CurrentID() string { return kr.current.id }

// Seal encrypts plaintext, team's token, under the current key with a fresh random nonce.
func (kr *Keyring) Seal(team, plaintext string) (string, error) {
	nonce := make([]byte, kr.current.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("token nonce: %w", err)
	}
	out := kr.current.aead.Seal(nonce, nonce, []byte(plaintext), tokenAD(team))
	return sealedPrefix + kr.current.id + "." + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts team's sealed token under whichever key of the ring sealed it.
func (kr *Keyring) Open(team, sealed string) (string, error) {
	id, body, err := splitSealed(sealed)
	if err != nil {
		return "", err
	}
	k, ok := kr.key(id)
	if !ok {
		return "", fmt.Errorf("%w (sealed under key %s; %s is key %s): put the key it was sealed with in %s",
			ErrUnknownTokenKey, id, EnvTokenKey, kr.current.id, EnvTokenKeyOld)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < k.aead.NonceSize()+k.aead.Overhead() {
		return "", ErrTokenTampered
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], tokenAD(team))
	if err != nil {
		return "", ErrTokenTampered
	}
	return string(plain), nil
}

// SealedUnder returns the ID of the key that sealed a token ("" when it is not a sealed token).
func SealedUnder(sealed string) string {
	id, _, err := splitSealed(sealed)
	if err != nil {
		return ""
	}
	return id
}

func splitSealed(sealed string) (id, body string, err error) {
	rest, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", "", fmt.Errorf("%w: not a sealed token", ErrTokenTampered)
	}
	id, body, ok = strings.Cut(rest, ".")
	if !ok || len(id) != 8 {
		return "", "", fmt.Errorf("%w: not a sealed token", ErrTokenTampered)
	}
	return id, body, nil
}

func (kr *Keyring) key(id string) (tokenKey, bool) {
	if id == kr.current.id {
		return kr.current, true
	}
	for _, k := range kr.old {
		if k.id == id {
			return k, true
		}
	}
	return tokenKey{}, false
}

// tokenAD binds a sealed token to its team.
func tokenAD(team string) []byte { return []byte("rapport bot token " + team) }
