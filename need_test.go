package rapport_test

import (
	"testing"

	"github.com/rapportbot/rapport"
)

// TestStatesNeed: messages as members post them in a group's channel. A need keeps its author out
// of the receiver's seat; an offer, a thank-you or news leaves them suggested.
func TestStatesNeed(t *testing.T) {
	needs := []string{
		"Anyone know a good roofer in Mesa? Our garage leaks",
		"anybody have a bookkeeper they trust?",
		"Does anyone work with commercial landlords?",
		"Can someone recommend an estate lawyer?",
		"Could anybody point me to a sign maker",
		"We're looking for a caterer for 80 people in May",
		"My neighbour is looking for an accountant, she just opened a bakery",
		"I need a photographer for headshots next week",
		"My client needs a new roof before the monsoon",
		"We really need help with payroll",
		"In need of a good mechanic, mine retired",
		"Who do you use for IT support?",
		"Who's a good florist downtown?",
		"Any recommendations for a wedding venue?",
		"Recommendations on a CPA who knows restaurants?",
		"Do you know someone who does kitchen remodels?",
		"Searching for a print shop that can do rush jobs",
		"Could use some help with our website",
		"ISO a notary — anyone know of one open Saturdays?",
		"Looking for a referral to a pediatric dentist",
		"LOOKING FOR A PLUMBER",
		"Who\u2019s the best dog groomer around here?",
		"Any suggestions for a moving company?",
	}
	offers := []string{
		"If you need a will or a trust, I'm happy to help",
		"Anyone who needs a roof inspection before summer, send them my way",
		"Do you need a website? I have room for two projects this month",
		"Looking for new clients in Tempe: restaurants and cafés",
		"Looking for introductions to wedding planners in Scottsdale",
		"Just closed a kitchen remodel thanks to Alice!",
		"I highly recommend Bob for anything electrical",
		"We do commercial cleaning, evenings and weekends",
		"Great meeting today, see you all Thursday",
		"",
		"Clients who still need their taxes filed: I'm open until April 15",
		"The needle is moving on our Q3 numbers", // "need" inside a word
	}
	for _, text := range needs {
		if !rapport.StatesNeed(text) {
			t.Errorf("StatesNeed(%q) = false; want true: its author asks for help", text)
		}
	}
	for _, text := range offers {
		if rapport.StatesNeed(text) {
			t.Errorf("StatesNeed(%q) = true; want false: its author asks for nothing", text)
		}
	}
}
