package forward

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"

	"github.com/spantop/spantop/ingest"
)

// grpcMethods are the OTLP Export methods by signal.
var grpcMethods = [...]string{
	ingest.SignalTraces:  "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
	ingest.SignalLogs:    "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
	ingest.SignalMetrics: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
}

type grpcSender struct{ cc *grpc.ClientConn }

func newGRPC(addr string) (sender, error) {
	cc, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(bytesCodec{}), grpc.UseCompressor(grpcgzip.Name)),
	)
	if err != nil {
		return nil, err
	}
	return grpcSender{cc}, nil
}

func (g grpcSender) send(ctx context.Context, sig ingest.Signal, pb []byte) (time.Duration, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var resp []byte
	err := g.cc.Invoke(ctx, grpcMethods[sig], pb, &resp)
	if err == nil {
		return 0, false, nil
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Aborted:
		return 0, true, err
	}
	return 0, false, err
}

func (g grpcSender) close() error { return g.cc.Close() }

// bytesCodec sends the request's wire bytes as they are and keeps the
// response's (the answer is not read).
type bytesCodec struct{}

func (bytesCodec) Name() string { return "proto" }

func (bytesCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("forward codec: cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (bytesCodec) Unmarshal(data mem.BufferSlice, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("forward codec: cannot unmarshal into %T", v)
	}
	*p = data.Materialize()
	return nil
}

type httpSender struct {
	base   string
	client *http.Client
}

func newHTTP(u *url.URL, timeout time.Duration) sender {
	base := u.Scheme + "://" + u.Host + u.Path
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return httpSender{base: base, client: &http.Client{Timeout: timeout}}
}

func (h httpSender) send(ctx context.Context, sig ingest.Signal, pb []byte) (time.Duration, bool, error) {
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	if _, err := zw.Write(pb); err != nil {
		return 0, false, err
	}
	if err := zw.Close(); err != nil {
		return 0, false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"/v1/"+sig.String(), &zb)
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, true, err // connection refused, reset, timeout: the target may come back
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return 0, false, nil
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		var after time.Duration
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			after = time.Duration(s) * time.Second
		}
		return after, true, fmt.Errorf("%s answered %s", h.base, resp.Status)
	}
	return 0, false, fmt.Errorf("%s answered %s", h.base, resp.Status)
}

func (h httpSender) close() error {
	h.client.CloseIdleConnections()
	return nil
}
