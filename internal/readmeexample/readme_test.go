package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The README's agentlib example is this package's main.go, verbatim from
// "package main" on, so the example compiles as written; the test also
// builds the package, in case it runs without `go build ./...`.
func TestREADMEHoldsTheExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	// From the line that is the package clause (the doc comment above it
	// names it too, and must not be taken for it).
	prog := string(src[strings.Index(string(src), "\npackage main\n")+1:])
	if !strings.Contains(string(readme), "```go\n"+prog+"```\n") {
		t.Fatal("README.md does not hold internal/readmeexample/main.go (from \"package main\") in a ```go block; copy it over")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	if out, err := exec.Command(goBin, "build", "-o", os.DevNull, ".").CombinedOutput(); err != nil {
		t.Fatalf("the example does not build: %v\n%s", err, out)
	}
}

// Every exported name of agentlib is in the README's table.
func TestREADMEDocumentsAgentlib(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command(goBin, "doc", "-short", "-all", ".")
	cmd.Dir = "../../agentlib"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go doc: %v\n%s", err, out)
	}
	for _, name := range exportedNames(string(out)) {
		if !strings.Contains(string(readme), name) {
			t.Errorf("README.md does not mention agentlib's %s", name)
		}
	}
}

// exportedNames reads `go doc -all` output: func, type, method and field
// names.
func exportedNames(doc string) []string {
	var names []string
	for _, line := range strings.Split(doc, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "func" && strings.HasPrefix(f[1], "("):
			// func (m *Mutex) Lock()
			if len(f) >= 4 {
				names = append(names, strings.SplitN(f[3], "(", 2)[0])
			}
		case len(f) >= 2 && f[0] == "func":
			names = append(names, strings.SplitN(f[1], "(", 2)[0])
		case len(f) >= 2 && f[0] == "type":
			names = append(names, f[1])
		case len(f) >= 2 && strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, "\t\t") && f[0] != "//" &&
			f[0][0] >= 'A' && f[0][0] <= 'Z':
			names = append(names, strings.TrimSuffix(f[0], ","))
		}
	}
	return names
}
