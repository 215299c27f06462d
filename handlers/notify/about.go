package notify

// About says what a message of kind is, in words (its registration's About); an unknown kind (an
// old one, still in the outbox) is named as it is stored.
func About(kind string) string {
	if k, ok := byKind[kind]; ok {
		return k.about()
	}
	return "a message (" + kind + ")"
}
