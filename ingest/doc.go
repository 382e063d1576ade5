// Package ingest receives OTLP over gRPC and HTTP and turns it into model
// batches. It is the only package that knows the OTLP wire types: protobuf is
// decoded straight from the wire bytes (protowire, no generated structs, no
// reflection) into compact model records, OTLP/JSON goes through protojson.
// Between the receivers and the model's single writer sits one bounded Queue.
//
// The pieces, one file each: the receivers (grpc.go, http.go) serve the
// same signals (traces.go, logs.go, metrics.go: each decodes a request and
// builds its response) through one path (export.go) that inflates gzip
// (body.go) within the bound on bytes in flight (inflight.go); errors.go
// maps every failure to its gRPC and HTTP answer once. The span decoder:
// decode.go for the request, span.go for each span, anyvalue.go for
// attribute values, wire.go and fields.go for fields; json.go for
// OTLP/JSON. queue.go is the queue, codec.go hands gRPC requests over as
// raw bytes, server.go binds and stops the listeners, split.go lets each
// port serve both protocols, cors.go answers browsers.
package ingest
