package deploy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ X, Y, W, H int } `json:"gridPos"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(readFile(t, filepath.Join(deployDir(t), "grafana", "camsweep.json")), &d); err != nil {
		t.Fatalf("deploy/grafana/camsweep.json: %v", err)
	}
	return d
}

func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// dashboardExprs returns the PromQL of every panel target and query variable.
func dashboardExprs(t *testing.T, d dashboard) map[string]string {
	exprs := map[string]string{}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			exprs[fmt.Sprintf("panel %q target %s", p.Title, tg.RefID)] = tg.Expr
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q string
		if json.Unmarshal(v.Query, &q) != nil {
			var obj struct{ Query string }
			if err := json.Unmarshal(v.Query, &obj); err != nil {
				t.Fatalf("variable %s: query is neither a string nor an object: %s", v.Name, v.Query)
			}
			q = obj.Query
		}
		if e := grafanaQueryExpr(q); e != "" {
			exprs["variable "+v.Name] = e
		}
	}
	return exprs
}

func TestGrafanaDashboardStructure(t *testing.T) {
	d := loadDashboard(t)
	if d.Title == "" || d.UID == "" {
		t.Errorf("dashboard needs a title and a fixed uid (links from alerts rely on it)")
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	ids := map[int]bool{}
	for _, p := range allPanels(d.Panels) {
		if ids[p.ID] {
			t.Errorf("panel %q: duplicate id %d", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.X+p.GridPos.W > 24 || p.GridPos.W <= 0 || p.GridPos.H <= 0 {
			t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Title == "" || len(p.Targets) == 0 {
			t.Errorf("panel id %d (%q): needs a title and at least one target", p.ID, p.Title)
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: datasource must be the ${datasource} variable, so the dashboard imports anywhere", p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q target %s: empty expr", p.Title, tg.RefID)
			}
			for _, m := range regexp.MustCompile(`\$\{?([a-zA-Z_]+)`).FindAllStringSubmatch(tg.Expr, -1) {
				if !vars[m[1]] && !strings.HasPrefix(m[1], "__") {
					t.Errorf("panel %q: expr uses $%s, which is not a dashboard variable", p.Title, m[1])
				}
			}
		}
	}
	// What issue 7 asks the dashboard to show, by the metric that shows it.
	used := map[string]bool{}
	for _, e := range dashboardExprs(t, d) {
		for _, n := range metricNames(e) {
			used[n] = true
		}
	}
	for _, m := range []string{
		"camsweep_findings",                              // findings by site and severity
		"camsweep_unregistered_camera_info",              // unregistered cameras table
		"camsweep_dispensation_expiry_timestamp_seconds", // dispensation countdown
		"camsweep_last_scan_duration_seconds",            // scan duration
		"camsweep_last_scan_success_timestamp_seconds",   // freshness
	} {
		if !used[m] {
			t.Errorf("dashboard does not show %s", m)
		}
	}
}

// Every dashboard expression parses as PromQL: promtool checks them as
// recording rules, with Grafana's variables replaced by plausible values.
func TestGrafanaExprsParse(t *testing.T) {
	promtool := needTool(t, "promtool", "prometheus")
	exprs := dashboardExprs(t, loadDashboard(t))
	keys := make([]string, 0, len(exprs))
	for k := range exprs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	grafanaVars := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h", "$site", ".*", "${site}", ".*")
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, k := range keys {
		e, _ := json.Marshal(grafanaVars.Replace(exprs[k]))
		fmt.Fprintf(&b, "      - record: dashboard:expr%d\n        expr: %s\n", i, e)
	}
	f := filepath.Join(t.TempDir(), "dashboard.rules.yml")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runTool(t, deployDir(t), promtool, "check", "rules", f); err != nil {
		t.Fatalf("dashboard expressions do not parse: %v\n%s\n%s", err, out, b.String())
	}
}
