package agentlib

import (
	"os/exec"
	"strings"
	"testing"
)

// agentlib is compiled into applications (and spantoptest into their tests):
// it must stay light and must not
// pull in spantop itself (DESIGN.md §1). This test lists what the package
// (not its tests) imports and fails on anything outside the allowed
// modules: OTel API and SDK, the OTLP protobuf types, gRPC and protobuf, and
// what those need.
func TestDependencies(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps",
		"-f", "{{if not .Standard}}{{.ImportPath}} {{with .Module}}{{.Path}}{{end}}{{end}}", ".", "./spantoptest", "./testtrace").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/spantop/spantop/", // spantop's other packages
		"golang.org/x/exp",
		"charm.land/",
		"github.com/charmbracelet/",
		"github.com/grpc-ecosystem/", // what the generated OTLP collector service packages bring
	}
	allowed := map[string]bool{
		"github.com/spantop/spantop/agentlib":       true,
		"go.opentelemetry.io/otel":                  true,
		"go.opentelemetry.io/otel/sdk":              true,
		"go.opentelemetry.io/otel/trace":            true,
		"go.opentelemetry.io/otel/metric":           true, // required by otel
		"go.opentelemetry.io/otel/log":              true, // required by otel
		"go.opentelemetry.io/auto/sdk":              true, // required by otel/trace
		"go.opentelemetry.io/proto/otlp":            true,
		"google.golang.org/grpc":                    true,
		"google.golang.org/protobuf":                true,
		"google.golang.org/genproto/googleapis/rpc": true, // grpc's status
		"golang.org/x/net":                          true, // grpc's http2
		"golang.org/x/sys":                          true,
		"golang.org/x/text":                         true,
		"github.com/go-logr/logr":                   true, // otel's logging
		"github.com/go-logr/stdr":                   true,
		"github.com/google/uuid":                    true, // otel/sdk/resource
		"github.com/cespare/xxhash/v2":              true, // otel/attribute
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		n++
		pkg, mod, _ := strings.Cut(line, " ")
		for _, f := range forbidden {
			if strings.HasPrefix(pkg, f) && !strings.HasPrefix(pkg, "github.com/spantop/spantop/agentlib") {
				t.Errorf("agentlib depends on %s (forbidden: %s)", pkg, f)
			}
		}
		if !allowed[mod] {
			t.Errorf("agentlib depends on %s from module %q, which is not on the allowed list", pkg, mod)
		}
	}
	if n == 0 {
		t.Fatal("go list printed no packages")
	}
}
