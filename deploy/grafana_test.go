package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rapportbot/rapport/bot/metrics"
)

// dashboard is the part of a Grafana dashboard the checks read.
type dashboard struct {
	Title      string `json:"title"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []struct {
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource *struct {
			Type string `json:"type"`
			UID  string `json:"uid"`
		} `json:"datasource"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// variable is a dashboard variable: the datasource one picks the Prometheus to read.
type variable struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Query string `json:"query"`
}

// metricName finds the metric names a PromQL expression reads.
var metricName = regexp.MustCompile(`\brapport_[a-z_]+`)

// TestGrafanaDashboard keeps deploy/grafana/rapport.json in step with bot/metrics: every metric a
// query reads is one Rapport serves, every metric Rapport serves is on the dashboard, and every
// panel reads the Prometheus chosen in the dashboard's datasource variable.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("grafana/rapport.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana/rapport.json: %v", err)
	}
	if !slices.Contains(d.Templating.List, variable{Name: "datasource", Type: "datasource", Query: "prometheus"}) {
		t.Error("no Prometheus datasource variable named datasource")
	}
	shown := map[string]bool{}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q does not read the datasource variable", p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			if strings.Count(q.Expr, "(") != strings.Count(q.Expr, ")") {
				t.Errorf("panel %q: unbalanced parentheses in %s", p.Title, q.Expr)
			}
			names := metricName.FindAllString(q.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: %s reads no rapport_ metric", p.Title, q.Expr)
			}
			for _, n := range names {
				served := served(n)
				if served == "" {
					t.Errorf("panel %q reads %s, which Rapport does not serve (bot/metrics.Names)", p.Title, n)
				}
				shown[served] = true
			}
		}
	}
	for _, n := range metrics.Names {
		if !shown[n] {
			t.Errorf("%s is served but on no panel of the dashboard", n)
		}
	}
}

// served is the metric of bot/metrics that name reads (a histogram's _bucket, _count or _sum
// series read the histogram), or "".
func served(name string) string {
	if slices.Contains(metrics.Names, name) {
		return name
	}
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && base == metrics.AckSeconds {
			return base
		}
	}
	return ""
}

// TestK8sScrapeAnnotations checks that the pods ask Prometheus's usual Kubernetes discovery to
// scrape GET /metrics on the port the container serves it on.
func TestK8sScrapeAnnotations(t *testing.T) {
	pod := loadK8s(t).deployment.Spec.Template
	a := pod.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" {
		t.Errorf("pod annotations %v: want prometheus.io/scrape \"true\" and prometheus.io/path /metrics", a)
	}
	var ports []string
	for _, p := range pod.Spec.Containers[0].Ports {
		ports = append(ports, strconv.Itoa(int(p.ContainerPort)))
	}
	if !slices.Contains(ports, a["prometheus.io/port"]) {
		t.Errorf("prometheus.io/port %q is none of the container's ports %v", a["prometheus.io/port"], ports)
	}
}
