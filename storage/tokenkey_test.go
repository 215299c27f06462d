package storage_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/rapportbot/rapport/storage"
)

const plainToken = "xoxb-1111-2222-plaintexttoken"

func keyB64(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

func keyring(t *testing.T, current, old string) *storage.Keyring {
	t.Helper()
	kr, err := storage.ParseKeyring(current, old)
	if err != nil {
		t.Fatalf("ParseKeyring: %v", err)
	}
	return kr
}

func TestKeyringRoundTrip(t *testing.T) {
	kr := keyring(t, keyB64(1), "")
	a, err := kr.Seal(team, plainToken)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := kr.Seal(team, plainToken)
	if a == b {
		t.Error("two seals of the same token are equal: the nonce is not fresh")
	}
	if strings.Contains(a, plainToken) || strings.Contains(a, "plaintexttoken") {
		t.Errorf("sealed token %q shows the plaintext", a)
	}
	if got := storage.SealedUnder(a); got != kr.CurrentID() {
		t.Errorf("SealedUnder = %q, want the current key %q", got, kr.CurrentID())
	}
	got, err := kr.Open(team, a)
	if err != nil || got != plainToken {
		t.Fatalf("Open = %q, %v; want the token", got, err)
	}
}

func TestKeyringRefuses(t *testing.T) {
	kr := keyring(t, keyB64(1), "")
	sealed, err := kr.Seal(team, plainToken)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("WrongKey", func(t *testing.T) {
		other := keyring(t, keyB64(2), "")
		_, err := other.Open(team, sealed)
		if !errors.Is(err, storage.ErrUnknownTokenKey) {
			t.Fatalf("Open under another key: %v, want ErrUnknownTokenKey", err)
		}
		// The operator learns which key sealed it and where to put it.
		for _, want := range []string{kr.CurrentID(), storage.EnvTokenKeyOld} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		}
	})
	t.Run("Tampered", func(t *testing.T) {
		// Flip one bit of each byte position of the body in turn: none may open.
		head := sealed[:strings.LastIndex(sealed, ".")+1]
		raw, _ := base64.RawURLEncoding.DecodeString(sealed[len(head):])
		for i := range raw {
			bad := bytes.Clone(raw)
			bad[i] ^= 1
			if _, err := kr.Open(team, head+base64.RawURLEncoding.EncodeToString(bad)); !errors.Is(err, storage.ErrTokenTampered) {
				t.Fatalf("byte %d flipped: %v, want ErrTokenTampered", i, err)
			}
		}
		if _, err := kr.Open(team, sealed[:len(sealed)-4]); !errors.Is(err, storage.ErrTokenTampered) {
			t.Errorf("cut: %v, want ErrTokenTampered", err)
		}
		if _, err := kr.Open(team, plainToken); !errors.Is(err, storage.ErrTokenTampered) {
			t.Errorf("a plaintext token: %v, want ErrTokenTampered", err)
		}
	})
	t.Run("OtherTeam", func(t *testing.T) {
		if _, err := kr.Open("T0OTHER", sealed); !errors.Is(err, storage.ErrTokenTampered) {
			t.Fatalf("another team's record: %v, want ErrTokenTampered", err)
		}
	})
}

func TestKeyringRotation(t *testing.T) {
	before := keyring(t, keyB64(1), "")
	sealed, _ := before.Seal(team, plainToken)

	after := keyring(t, keyB64(2), keyB64(3)+", "+keyB64(1))
	got, err := after.Open(team, sealed)
	if err != nil || got != plainToken {
		t.Fatalf("old token under the rotated ring: %q, %v", got, err)
	}
	resealed, _ := after.Seal(team, got)
	if storage.SealedUnder(resealed) != after.CurrentID() || after.CurrentID() == before.CurrentID() {
		t.Errorf("resealed under %q, want the new current key %q", storage.SealedUnder(resealed), after.CurrentID())
	}
	if _, err := before.Open(team, resealed); !errors.Is(err, storage.ErrUnknownTokenKey) {
		t.Errorf("the retired key opened a token resealed under the new one: %v", err)
	}
}

func TestParseKeyringErrors(t *testing.T) {
	short := base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))
	for _, tc := range []struct {
		name, current, old, want string
	}{
		{"Empty", "", "", "RAPPORT_TOKEN_KEY is empty"},
		{"NotBase64", "not base64 at all!", "", "RAPPORT_TOKEN_KEY is not base64"},
		{"Short", short, "", "RAPPORT_TOKEN_KEY decodes to 16 bytes, want 32"},
		{"OldShort", keyB64(1), keyB64(2) + "," + short, "RAPPORT_TOKEN_KEY_OLD (key 2) decodes to 16 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := storage.ParseKeyring(tc.current, tc.old)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseKeyring: %v, want an error saying %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "base64") {
				t.Errorf("error %q does not say the key is base64", err)
			}
			if tc.current != "" && strings.Contains(err.Error(), tc.current) {
				t.Errorf("error %q quotes the key", err)
			}
		})
	}
}
