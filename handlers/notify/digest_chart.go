package notify

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// series is the chart's data: per week, oldest first, referrals given (hot, warm and leads apart:
// rule 1; each prospect once: rule 12) and business closed (value in the group's currency, and count).
type series struct {
	Weeks  []time.Time // each week's first instant
	Hot    []float64
	Warm   []float64
	Leads  []float64
	Value  []float64 // major units of the group's currency
	Closed []float64
}

// weeklySeries sums the days' totals, oldest first from from, into the digestWeeks weeks of 7 days:
// day k in week k/7 (counting days, not hours, so a day whose clocks jump stays in its week).
func weeklySeries(days []rapport.DayTotal, from time.Time) series {
	s := series{Weeks: make([]time.Time, digestWeeks), Hot: make([]float64, digestWeeks), Warm: make([]float64, digestWeeks),
		Leads: make([]float64, digestWeeks), Value: make([]float64, digestWeeks), Closed: make([]float64, digestWeeks)}
	for i := range s.Weeks {
		if k := digestDays * i; k < len(days) {
			s.Weeks[i] = days[k].Day.From
		} else {
			s.Weeks[i] = from.AddDate(0, 0, k)
		}
	}
	for k, d := range days {
		i := k / digestDays
		if i >= digestWeeks {
			break
		}
		s.Hot[i] += float64(d.Hot)
		s.Warm[i] += float64(d.Warm)
		s.Leads[i] += float64(d.Cold)
		s.Closed[i] += float64(d.Closed)
		s.Value[i] += float64(d.Value) / 100
	}
	return s
}

// chartState is the chart of the 12 weeks of 7 days before the digest's day, drawn from the days'
// totals when it is sent (the drawing is the costly part, so Read does it).
type chartState struct {
	to, week string
	png      []byte
}

func readChart(ctx context.Context, c *Catalogue, team string, e rapport.OutboxEntry) (chartState, error) {
	at, ok := msField(e, digestFieldAt)
	if !ok {
		return chartState{}, unreadable(e, errNoField)
	}
	set := c.settings.Get(ctx)
	from, to := digestSpan(at, set.TimeZone, digestDays*digestWeeks)
	days, err := c.store.DayTotals(ctx, team, from, to, set.Currency)
	if err != nil {
		return chartState{}, err
	}
	release, err := c.turns.take(ctx) // drawing is the costly part: in a turn of the process's
	if err != nil {
		return chartState{}, err
	}
	png, err := chartPNG(weeklySeries(days, from), set)
	release()
	if err != nil {
		return chartState{}, err
	}
	return chartState{to: e.To, week: e.Fields[digestFieldWeek], png: png}, nil
}

// chartPost uploads the chart to the entry's channel.
func chartPost(s chartState) bot.Delivery {
	title := fmt.Sprintf("Referrals and closed business, last %d weeks", digestWeeks)
	return bot.Delivery{Channel: s.to, Text: title, File: &bot.Upload{
		Filename: "rapport-" + s.week + ".png", Title: title, Content: s.png,
	}}
}

// chartPNG draws two panels, one above the other: referrals given per week (qualified stacked
// under leads), and business closed per week: its value when the group shows values in public,
// else the number of deals.
func chartPNG(s series, set rapport.Settings) ([]byte, error) {
	loc := set.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	names := make([]string, len(s.Weeks))
	for i, w := range s.Weeks {
		names[i] = w.In(loc).Format("Jan 2")
	}
	const barWidth = 22
	colorHot := color.RGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}
	colorWarm := color.RGBA{R: 0x66, G: 0xbb, B: 0x6a, A: 0xff}
	colorLeads := color.RGBA{R: 0xc8, G: 0xe6, B: 0xc9, A: 0xff}
	colorClosed := color.RGBA{R: 0x15, G: 0x65, B: 0xc0, A: 0xff}

	top := plot.New()
	top.Title.Text = "Referrals given per week"
	top.Y.Label.Text = "referrals"
	hot, err := plotter.NewBarChart(plotter.Values(s.Hot), barWidth)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	hot.Color, hot.LineStyle.Width = colorHot, 0
	warm, err := plotter.NewBarChart(plotter.Values(s.Warm), barWidth)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	warm.Color, warm.LineStyle.Width = colorWarm, 0
	warm.StackOn(hot)
	leads, err := plotter.NewBarChart(plotter.Values(s.Leads), barWidth)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	leads.Color, leads.LineStyle.Width = colorLeads, 0
	leads.StackOn(warm)
	top.Add(hot, warm, leads)
	top.Legend.Add("hot (qualified)", hot)
	top.Legend.Add("warm", warm)
	top.Legend.Add("leads", leads)
	top.Legend.Top, top.Legend.Left = true, true
	top.NominalX(names...)
	top.Y.Min = 0
	top.Y.Max = max(top.Y.Max*1.3, 1) // room for the legend above the bars
	top.Y.Tick.Marker = wholeTicks{}

	bottom := plot.New()
	vals, label := s.Closed, "deals"
	bottom.Title.Text = "Business closed per week"
	if set.PublicValues {
		vals, label = s.Value, "value ("+currencyOr(set.Currency, "USD")+")"
		bottom.Title.Text = "Closed business value per week"
	}
	bottom.Y.Label.Text = label
	closed, err := plotter.NewBarChart(plotter.Values(vals), barWidth)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	closed.Color, closed.LineStyle.Width = colorClosed, 0
	bottom.Add(closed)
	bottom.NominalX(names...)
	bottom.Y.Min = 0
	bottom.Y.Max = max(bottom.Y.Max, 1)
	bottom.Y.Tick.Marker = wholeTicks{}

	img := vgimg.New(9*vg.Inch, 6*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	plots := [][]*plot.Plot{{top}, {bottom}}
	canvases := plot.Align(plots, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])

	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// wholeTicks labels an axis of counts or money in whole numbers with thousands separators.
type wholeTicks struct{}

func (wholeTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	out := ts[:0]
	for _, t := range ts {
		if t.Label != "" {
			if t.Value != math.Trunc(t.Value) {
				continue // a count has no halves
			}
			t.Label = strings.TrimSuffix(kit.Money(int64(t.Value)*100, "USD")[1:], ".00")
		}
		out = append(out, t)
	}
	return out
}
