package runlog

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
)

// TypeHTML is the content type of the status page.
const TypeHTML = "text/html; charset=utf-8"

// Page renders the status page of an index: one row per run, newest
// first, with its start, duration, outcome, the leaderboards published,
// held, skipped and failed, the rules that held a board or the error that
// failed it, and a link to the run's record; site says whether the
// leaderboard site's front page (index.html beside runs/) is there to link
// back to. Self-contained (no script, style or font from elsewhere); every
// value is escaped by html/template.
func Page(idx *Index, site bool) ([]byte, error) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, struct {
		*Index
		Site bool
	}{idx, site}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Outcome says in words how a run ended, from its exit status (the
// statuses of the README).
func Outcome(status int) string {
	switch status {
	case 0:
		return "ok"
	case 1:
		return "internal failure"
	case 2:
		return "usage error"
	case 3:
		return "bad input"
	case 4:
		return "configuration error"
	case 5:
		return "transient failure"
	case 6:
		return "partial failure"
	case 130, 143:
		return "stopped by a signal"
	}
	return fmt.Sprintf("exit %d", status)
}

var pageTemplate = template.Must(template.New("runs").Funcs(template.FuncMap{
	"outcome": Outcome,
	"date":    func(s string) string { return strings.Replace(strings.TrimSuffix(s, "Z"), "T", " ", 1) },
	"rel":     func(s string) string { return strings.TrimPrefix(s, Folder+"/") },
	"seconds": func(f float64) string { return fmt.Sprintf("%.1f s", f) },
	"join":    strings.Join,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Leaderboard job runs</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1rem; color: #1d1d1f; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
p.note { color: #555; margin: 0 0 1rem; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e2e2e2; vertical-align: top; }
th { background: #f5f5f7; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.outcome { white-space: nowrap; }
td.when { white-space: nowrap; max-width: 11rem; }
td.when code { display: block; white-space: normal; }
.ok { color: #17672f; font-weight: 600; }
.bad { color: #a1161b; font-weight: 600; }
ul { margin: 0; padding-left: 1rem; }
code { font-size: .8rem; word-break: break-all; }
/* On a phone, each run is a card of labelled lines. */
@media (max-width: 40rem) {
  thead { display: none; }
  table, tbody, tr, td { display: block; width: auto; }
  tr { border: 1px solid #e2e2e2; border-radius: .4rem; margin: 0 0 .75rem; padding: .25rem 0; }
  td { border: none; padding: .15rem .6rem; }
  td.n { text-align: left; }
  td[data-label]::before { content: attr(data-label) ": "; color: #555; }
  td.empty { display: none; }
}
</style>
</head>
<body>
<h1>Leaderboard job runs</h1>
<p class="note">{{if eq (len .Runs) 1}}The last 1 run{{else}}The last {{len .Runs}} runs, newest first{{end}}{{with .UpdatedAt}}; updated {{date .}} UTC{{end}}. Each run's record is its complete log event. {{if .Site}}<a href="../index.html">All leaderboards</a> · {{end}}<a href="index.json">runs/index.json</a> · <a href="../index.json">the leaderboards' index.json</a></p>
{{if .Runs}}<table>
<thead><tr><th>started (UTC), run</th><th>duration</th><th>outcome</th><th>published</th><th>held</th><th>skipped</th><th>failed</th><th>problems</th></tr></thead>
<tbody>
{{range .Runs}}<tr>
<td class="when">{{date .StartedAt}}<a href="{{rel .Record}}"><code>{{.CorrelationID}}</code></a></td>
<td class="n" data-label="duration">{{seconds .DurationSeconds}}</td>
<td class="outcome" data-label="outcome">{{if .OK}}<span class="ok">ok</span>{{else}}<span class="bad">{{outcome .ExitStatus}}</span> ({{.ExitStatus}}){{end}}</td>
<td class="n" data-label="published">{{.Published}}</td>
<td class="n" data-label="held">{{.Held}}</td>
<td class="n" data-label="skipped">{{.Skipped}}</td>
<td class="n" data-label="failed">{{.Failed}}</td>
<td{{if not (or .Problems .Error)}} class="empty"{{end}}>{{if .Problems}}<ul>{{range .Problems}}<li>{{.Leaderboard}}: {{.Status}}{{if .Rules}} by {{join .Rules ", "}}{{end}}{{with .Error}}: {{.}}{{end}}</li>{{end}}</ul>{{else}}{{with .Error}}{{.}}{{end}}{{end}}</td>
</tr>
{{end}}</tbody>
</table>{{else}}<p>No run recorded yet.</p>{{end}}
</body>
</html>
`))
