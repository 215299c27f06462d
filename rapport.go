// Package rapport holds the domain of a referral group: referrals, their temperature and lifecycle,
// members, and the validation rules that every way in (Slack, tests, the demo) shares.
//
// It imports only the standard library and a phone-number parser, so the rules can be read and tested
// without Slack or Redis.
package rapport
