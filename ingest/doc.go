// Package ingest receives OTLP over gRPC and HTTP and turns it into model
// batches. It is the only package that knows the OTLP wire types: protobuf is
// decoded straight from the wire bytes (protowire, no generated structs, no
// reflection) into compact model records, OTLP/JSON goes through protojson.
// Between the receivers and the model's single writer sits one bounded Queue.
//
// The pieces, one file each: the receivers (grpc.go, http.go) share one
// export path (export.go) that decodes (decode.go for the request, span.go
// for each span, anyvalue.go for attribute values, wire.go for fields;
// json.go for OTLP/JSON) and offers the batch to the Queue (queue.go);
// codec.go hands gRPC requests over as raw bytes; server.go binds and stops
// the listeners.
package ingest
