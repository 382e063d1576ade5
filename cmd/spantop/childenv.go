package main

import "os"

// childOTLPEnv is the environment that points a child process's OTel SDK
// and agentlib at this spantop: the standard OTLP variables (gRPC when
// spantop listens for it, else OTLP/HTTP) and SPANTOP_ENDPOINT for
// agentlib. `spantop run`, `spantop test` and `spantop snapshot -- CMD`
// give it to their child, after the inherited environment so it wins.
func childOTLPEnv(grpcAddr, httpAddr string) []string {
	var env []string
	switch {
	case grpcAddr != "":
		env = append(env,
			"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+grpcAddr,
			"OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
			"SPANTOP_ENDPOINT="+grpcAddr)
	case httpAddr != "":
		env = append(env,
			"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+httpAddr,
			"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf")
	}
	return env
}

// childEnv is the process's environment with extra appended: for
// os/exec, a later entry of the same name wins.
func childEnv(extra ...string) []string {
	return append(os.Environ(), extra...)
}
