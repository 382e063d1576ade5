package ui

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/spantop/spantop/model"
)

// probeKind is a throwaway table view, written as a new view would be:
// this type in one file, and one line that gives it a key (below).
type probeKind struct{}

func (probeKind) columns() []column[model.OpRow] {
	return []column[model.OpRow]{
		{key: model.OpName, title: "Probe", min: 10, ideal: 20, prio: 100, flex: 1,
			cell: func(st *styles, r *model.OpRow, _ int) (string, style) { return "probe " + sanitize(r.Name), style{} }},
		{key: model.OpCount, title: "Count", min: 7, ideal: 8, prio: 90, right: true, desc: true,
			cell: func(st *styles, r *model.OpRow, _ int) (string, style) { return fmtCount(r.Count), style{} }},
	}
}
func (probeKind) defaultSort() (model.Column, bool) { return model.OpCount, true }
func (probeKind) rowID(r *model.OpRow) uint64       { return r.ID }
func (probeKind) cacheKey(r *model.OpRow) rowKey    { return opKey(r) }
func (probeKind) dimmed(*model.OpRow) bool          { return false }
func (probeKind) fetch(src Source, q model.Query) model.Page[model.OpRow] {
	return src.Operations(q)
}
func (probeKind) keys() *keySet                  { return probeKeys }
func (probeKind) noun() string                   { return "probes" }
func (probeKind) figures(*App, *strings.Builder) {}
func (probeKind) empty(*App) string              { return "no probes" }
func (probeKind) act(a *App, t *table[model.OpRow], act action) (tea.Cmd, bool) {
	if act == actEnter {
		a.statusf(false, "probe "+t.rows[t.selRow].Name)
		return nil, true
	}
	return nil, false
}

var probeKeys = tableKeySet("probes", binding{keys: []string{"enter"}, acts: []action{actEnter}, label: "enter",
	desc: "say which probe", foot: "which", footPrio: 70})

// A new table view is one file and one key binding: the tab, its key in
// the footer and the help, sorting, moving and esc all come with it.
func TestAddTableView(t *testing.T) {
	a := newApp(t, newFake(300), Options{}, 120, 30)
	a.tabs = append(a.tabs, tab{"P", newTable[model.OpRow](probeKind{})}) // the key binding
	clear(a.keyCache)
	a.layout()
	press(a, "P")
	s := plain(a)
	for _, want := range []string{" Probes ", "Probe", "probe ", " probes ", "sort Count", "P views", "which"} {
		if !strings.Contains(s, want) {
			t.Errorf("the new view lacks %q:\n%s", want, s)
		}
	}
	press(a, "j", "enter")
	if !strings.Contains(plain(a), "probe ") {
		t.Error("its enter did nothing")
	}
	press(a, "?")
	if s := plain(a); !strings.Contains(s, "keys: probes") || !strings.Contains(s, "t u x o r L M P") ||
		!strings.Contains(s, "tasks / goroutines / traces / operations / resources / logs / metrics / probes view") {
		t.Errorf("help:\n%s", s)
	}
	press(a, "esc", "l", "t")
	if viewName(a) != "tasks" {
		t.Errorf("t from the new view: %s", viewName(a))
	}
	checkFrame(t, a, 120, 30)
}

// Forgetting a part of a table view does not compile: the package with a
// kind that lacks its empty message fails to build.
func TestIncompleteTableViewDoesNotCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package")
	}
	dir := t.TempDir()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile("addview_test.go")
	if err != nil {
		t.Fatal(err)
	}
	// The probe view without its empty message, given its key in New.
	probe := string(src)
	probe = probe[:strings.Index(probe, "// A new table view is one file")]
	probe = regexp.MustCompile(`(?m)^func \(probeKind\) empty\(.*$`).ReplaceAllString(probe, "")
	probe = strings.Replace(probe, "\t\"os\"\n\t\"os/exec\"\n\t\"path/filepath\"\n\t\"regexp\"\n", "", 1)
	probe = strings.Replace(probe, "\t\"testing\"\n", "", 1)
	probe += "\nfunc init() { _ = newTable[model.OpRow](probeKind{}) }\n"
	if err := os.WriteFile(filepath.Join(dir, "probe.go"), []byte(probe), 0o644); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	pkg := filepath.Join(filepath.Dir(wd), "ui_probe_"+filepath.Base(dir))
	if err := os.Rename(dir, pkg); err != nil {
		t.Skip("cannot place the probe package in the module:", err)
	}
	defer os.RemoveAll(pkg)
	cmd := exec.Command("go", "build", "./"+filepath.Base(pkg))
	cmd.Dir = filepath.Dir(wd)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("a table view without its empty message compiled")
	}
	if !strings.Contains(string(out), "does not implement tableKind") || !strings.Contains(string(out), "missing method empty") {
		t.Errorf("unexpected build error:\n%s", out)
	}
}
