package install

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/rapportbot/rapport"
)

// Titles of the install pages.
const (
	pageInstalled = "Rapport is installed"
	pageCancelled = "Install cancelled"
	pageFailed    = "Rapport was not installed"
)

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36em; margin: 4em auto; padding: 0 1em; line-height: 1.5">
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{- if .Open}}
<p><a href="{{.Open}}">Open Rapport in Slack</a> (or <a href="{{.Web}}">in your browser</a>).</p>
{{- end}}
</body></html>
`))

type pageData struct {
	Title, Message string
	Open, Web      template.URL
}

// page answers with a plain page: a title and one message.
func page(w http.ResponseWriter, status int, title, msg string) {
	render(w, status, pageData{Title: title, Message: msg})
}

// installed answers the installer with the next step and links into Slack: the app's deep link,
// and Slack's web redirect for a browser without the desktop app.
// welcomed says the app took the installation (OnInstall), whose welcome DM brings the next steps.
func installed(w http.ResponseWriter, in rapport.Installation, welcomed bool) {
	q := url.Values{"team": {in.Team}, "id": {in.AppID}}
	web := url.Values{"team": {in.Team}, "app": {in.AppID}}
	name := in.TeamName
	if name == "" {
		name = "your workspace"
	}
	msg := "Rapport is installed in " + name + "."
	if welcomed {
		msg += " It will send you a direct message in Slack with the next steps."
	}
	render(w, http.StatusOK, pageData{
		Title:   pageInstalled,
		Message: msg,
		Open:    template.URL("slack://app?" + q.Encode()),
		Web:     template.URL("https://slack.com/app_redirect?" + web.Encode()),
	})
}

func render(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the redirect's URL carries the code and state
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, d)
}
