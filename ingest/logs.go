package ingest

import (
	"context"
	"errors"
	"fmt"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spantop/spantop/model"
)

// Event names of the log records agentlib sends (DESIGN.md §5). Every
// other log record is stored in the model (logstore.go).
const (
	eventGoTrace     = "spantop.go.trace"
	eventAgentStatus = "spantop.agent.status"
	// attrGoodbye marks the status agentlib sends last when it stops.
	attrGoodbye = "spantop.agent.goodbye"
)

// TraceSink takes execution-trace chunks; the trace reader implements it.
// Offer must not block. It reports chunks it refused as malformed as
// rejected (with the first reason), and returns ErrQueueFull when it had
// no room for the rest.
type TraceSink interface {
	Offer(chunks []model.TraceChunk) (rejected int, msg string, err error)
}

// logsSignal serves LogsService/Export and /v1/logs.
func (s *Server) logsSignal() signal {
	return signal{
		service:      logsService,
		protoFile:    "opentelemetry/proto/collector/logs/v1/logs_service.proto",
		path:         "/v1/logs",
		decodeFactor: 3, // generated structs
		export: func(ctx context.Context, body []byte, json bool) (proto.Message, error) {
			rejected, msg, err := s.exportLogs(ctx, body, json)
			if err != nil {
				return nil, err
			}
			resp := &collogs.ExportLogsServiceResponse{}
			if rejected > 0 {
				resp.PartialSuccess = &collogs.ExportLogsPartialSuccess{RejectedLogRecords: int64(rejected), ErrorMessage: validMessage(msg)}
			}
			return resp, nil
		},
	}
}

// ErrNoTraceReader refuses trace chunks when no reader is attached.
var ErrNoTraceReader = errors.New("this spantop does not read execution traces")

// decodeLogs reads an ExportLogsServiceRequest. Logs are not the hot path
// (only agentlib's records are kept, a few per second), so it goes through
// the generated structs.
func (s *Server) decodeLogs(body []byte, json bool) (*collogs.ExportLogsServiceRequest, error) {
	req := &collogs.ExportLogsServiceRequest{}
	var err error
	if json {
		err = jsonOptions.Unmarshal(body, req)
	} else {
		err = proto.Unmarshal(body, req)
	}
	if err != nil {
		return nil, badRequest{fmt.Errorf("malformed ExportLogsServiceRequest: %w", err)}
	}
	return req, nil
}

// exportLogs keeps agentlib's trace chunks (handed to the trace reader) and
// status records (queued for the model); it reports invalid ones as
// rejected with the first reason.
func (s *Server) exportLogs(ctx context.Context, body []byte, json bool) (rejected int, msg string, err error) {
	kept, err := s.storeLogs(ctx, body, json)
	if err != nil {
		return kept.rejected, rejectedMsg(kept.rejected, kept.first), err
	}
	if !kept.agent {
		s.tap(SignalLogs, body, json)
		return kept.rejected, rejectedMsg(kept.rejected, kept.first), nil
	}
	req, err := s.decodeLogs(body, json)
	if err != nil {
		return 0, "", err
	}
	d := s.getDecoder()
	defer s.putDecoder(d)
	var chunks []model.TraceChunk
	var statuses []model.AgentStatus
	for _, rl := range req.ResourceLogs {
		var res model.Resource
		resDone := false
		for _, sl := range rl.ScopeLogs {
			for _, lr := range sl.LogRecords {
				switch lr.EventName {
				case eventGoTrace, eventAgentStatus:
				default:
					continue
				}
				if !resDone {
					if res, err = d.resourceOf(rl.Resource); err != nil {
						return 0, "", err
					}
					resDone = true
				}
				if lr.EventName == eventAgentStatus {
					statuses = append(statuses, model.AgentStatus{Resource: res, Time: int64(lr.TimeUnixNano), Message: lr.Body.GetStringValue(),
						Goodbye: isGoodbye(lr.Attributes)})
					continue
				}
				c, why := traceChunk(lr.Body, lr.Attributes)
				if why != "" {
					if rejected == 0 {
						msg = why
					}
					rejected++
					continue
				}
				c.Resource = res
				chunks = append(chunks, c)
			}
		}
	}
	if len(chunks) > 0 {
		if s.traces == nil {
			return 0, "", badRequest{ErrNoTraceReader}
		}
		n, why, err := s.traces.Offer(chunks)
		if err != nil {
			return 0, "", err
		}
		if n > 0 {
			if rejected == 0 {
				msg = why
			}
			rejected += n
		}
	}
	if len(statuses) > 0 {
		if err := s.queue.Offer(ctx, &model.Batch{Statuses: statuses}); err != nil {
			return 0, "", err
		}
	}
	rejected, msg = kept.merge(rejected, msg)
	if rejected > 0 {
		msg = fmt.Sprintf("%d log record(s) rejected; first: %s", rejected, msg)
	}
	s.tap(SignalLogs, body, json)
	return rejected, msg, nil
}

// resourceOf converts a Resource through the span decoder's rules, so that
// a process's logs, metrics and spans land on the same service.
func (d *decoder) resourceOf(r *resourcepb.Resource) (model.Resource, error) {
	var res model.Resource
	raw, err := proto.Marshal(r)
	if err != nil {
		return res, err
	}
	err = d.resource(raw, &res)
	return res, err
}

// traceChunk reads a spantop.go.trace record; why says what is wrong with it.
func traceChunk(body *commonpb.AnyValue, attrs []*commonpb.KeyValue) (c model.TraceChunk, why string) {
	bv, ok := body.GetValue().(*commonpb.AnyValue_BytesValue)
	if !ok {
		return c, "spantop.go.trace: body is not bytes"
	}
	c.Data = bv.BytesValue
	var haveSession, haveGen, haveChunk bool
	for _, kv := range attrs {
		v := kv.GetValue()
		switch kv.Key {
		case "spantop.trace.session":
			c.Session, haveSession = uint64(v.GetIntValue()), isInt(v)
		case "spantop.trace.generation":
			c.Generation, haveGen = uint64(v.GetIntValue()), isInt(v) && v.GetIntValue() >= 0
		case "spantop.trace.chunk":
			n := v.GetIntValue()
			haveChunk = isInt(v) && n >= 0 && n <= 1<<20
			c.Chunk = uint32(n)
		case "spantop.trace.final":
			c.Final = v.GetBoolValue()
		case "spantop.trace.header":
			c.Header = v.GetBytesValue()
			if len(c.Header) != 16 {
				return c, fmt.Sprintf("spantop.trace.header is %d bytes, want 16", len(c.Header))
			}
		case "spantop.trace.dropped_generations":
			c.DroppedGenerations = uint64(max(v.GetIntValue(), 0))
		}
	}
	switch {
	case !haveSession:
		return c, "spantop.go.trace: spantop.trace.session (int) missing"
	case !haveGen:
		return c, "spantop.go.trace: spantop.trace.generation (int ≥ 0) missing"
	case !haveChunk:
		return c, "spantop.go.trace: spantop.trace.chunk (int 0…2^20) missing"
	case c.Chunk == 0 && c.Header == nil:
		return c, "spantop.go.trace: chunk 0 of a generation needs spantop.trace.header"
	}
	return c, ""
}

func isInt(v *commonpb.AnyValue) bool {
	_, ok := v.GetValue().(*commonpb.AnyValue_IntValue)
	return ok
}

// isGoodbye reports whether a status record is agentlib's goodbye.
func isGoodbye(attrs []*commonpb.KeyValue) bool {
	for _, a := range attrs {
		if a.GetKey() == attrGoodbye {
			return a.GetValue().GetBoolValue()
		}
	}
	return false
}
