package main

import (
	"os"
	"slices"
	"strings"
)

// childEnv is the environment of a command spantop starts (run, test,
// snapshot -- CMD):
// the parent's, with the OTLP exporter pointed at spantop's receivers.
// grpcAddr and httpAddr are the bound addresses ("" when disabled); gRPC is
// preferred when both listen, as agentlib speaks it.
func childEnv(parent []string, grpcAddr, httpAddr string) []string {
	set := map[string]string{}
	switch {
	case grpcAddr != "":
		set["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://" + grpcAddr
		set["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc"
		set["SPANTOP_ENDPOINT"] = grpcAddr
	case httpAddr != "":
		set["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://" + httpAddr
		set["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
		set["SPANTOP_ENDPOINT"] = httpAddr
	}
	// Signal-specific settings in the parent would win over ours.
	drop := []string{
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
	}
	out := make([]string, 0, len(parent)+len(set))
	for _, kv := range parent {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; ours {
			continue
		}
		if slices.Contains(drop, k) {
			continue
		}
		out = append(out, kv)
	}
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "SPANTOP_ENDPOINT"} {
		if v, ok := set[k]; ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// environ is os.Environ, a variable for tests.
var environ = os.Environ
