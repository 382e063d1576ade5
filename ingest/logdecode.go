package ingest

import (
	"fmt"
	"time"

	"github.com/spantop/spantop/model"
)

// OTLP field numbers of the logs messages the decoder reads.
const (
	logsReqResourceLogs = 1 // ExportLogsServiceRequest
	resLogsResource     = 1 // ResourceLogs
	resLogsScopeLogs    = 2
	scopeLogsScope      = 1 // ScopeLogs
	scopeLogsRecords    = 2
	scopeName           = 1 // InstrumentationScope
	scopeVersion        = 2

	logTime         = 1 // LogRecord, fixed64
	logSeverity     = 2 // varint
	logSeverityText = 3
	logBody         = 5
	logAttributes   = 6
	logTraceID      = 9
	logSpanID       = 10
	logObserved     = 11 // fixed64
	logEventName    = 12
)

// maxLogBody is where an over-long body is cut (and marked as cut).
const maxLogBody = 32 << 10

// maxLogAttrs bounds the attributes stored per record, as for spans.
const maxLogAttrs = maxSpanAttrs

// logDecode is the state of one logs request's decode: the span decoder's
// (interning, resources, rejections) and the buffer the records' bodies
// and attributes share.
type logDecode struct {
	*decoder
	data  []byte
	ends  []int // end of each record's data in data
	now   int64 // for records with neither time
	agent bool  // the request holds agentlib's records (logs.go keeps those)
}

// DecodeLogs decodes an OTLP ExportLogsServiceRequest straight from its
// wire bytes into a batch of log records, interning strings in syms; w is
// reset as needed. agentlib's own records (spantop.go.trace,
// spantop.agent.status) are left out and reported by agent. Records with
// a trace ID that is not 16 bytes or a span ID that is not 8 bytes (both
// may be empty) are left out and counted in rejected with the first
// reason; err is set only when the bytes are not a valid request.
func DecodeLogs(b []byte, syms *model.Symbols, w *model.AttrWriter) (batch *model.Batch, agent bool, rejected int, errMsg string, err error) {
	d := decoder{syms: syms, w: w}
	batch, agent, rejected, first, err := d.decodeLogs(b)
	return batch, agent, rejected, rejectedMsg(rejected, first), err
}

func rejectedMsg(n int, first string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d log record(s) rejected; first: %s", n, first)
}

func (d *decoder) decodeLogs(b []byte) (*model.Batch, bool, int, string, error) {
	defer d.reset()
	n, err := countLogs(b)
	if err != nil {
		return nil, false, 0, "", err
	}
	ld := logDecode{decoder: d, data: make([]byte, 0, len(b)), ends: make([]int, 0, n), now: time.Now().UnixNano()}
	d.batch = &model.Batch{Logs: make([]model.LogRec, 0, n)}
	for len(b) > 0 {
		var f field
		if f, b, err = nextField(b); err != nil {
			return nil, false, 0, "", malformed("ExportLogsServiceRequest", err)
		}
		if f.num == logsReqResourceLogs && f.typ == 2 {
			if err := ld.resourceLogs(f.b); err != nil {
				return nil, false, 0, "", err
			}
		}
	}
	start := 0
	for i := range d.batch.Logs {
		end := ld.ends[i]
		d.batch.Logs[i].Data = ld.data[start:end:end]
		start = end
	}
	return d.batch, ld.agent, d.rejected, d.firstBad, nil
}

// countLogs counts the log records of a request, so the batch is
// allocated once.
func countLogs(b []byte) (int, error) {
	n := 0
	err := eachNested(b, "ExportLogsServiceRequest", logsReqResourceLogs, func(rl []byte) error {
		return eachNested(rl, "ResourceLogs", resLogsScopeLogs, func(sl []byte) error {
			return eachNested(sl, "ScopeLogs", scopeLogsRecords, func([]byte) error { n++; return nil })
		})
	})
	return n, err
}

// eachNested calls fn with every length-delimited field num of message b.
func eachNested(b []byte, what string, num int, fn func([]byte) error) error {
	var f field
	for len(b) > 0 {
		rest, err := readField(b, &f)
		if err != nil {
			return malformed(what, err)
		}
		b = rest
		if int(f.num) == num && f.typ == 2 {
			if err := fn(f.b); err != nil {
				return err
			}
		}
	}
	return nil
}

func (ld *logDecode) resourceLogs(b []byte) error {
	raw := lastField(b, resLogsResource)
	pr := pendingRes{raw: raw, index: -1}
	if i, ok := ld.resByRaw[string(raw)]; ok {
		pr.index = i
	} else if err := ld.resource(raw, &pr.res); err != nil {
		return err
	}
	return eachNested(b, "ResourceLogs", resLogsScopeLogs, func(sl []byte) error {
		sc, err := ld.readScope(lastField(sl, scopeLogsScope))
		if err != nil {
			return err
		}
		return eachNested(sl, "ScopeLogs", scopeLogsRecords, func(lr []byte) error {
			return ld.logRecord(lr, &sc, &pr)
		})
	})
}

// readScope reads an InstrumentationScope's name and version.
func (d *decoder) readScope(raw []byte) (scope, error) {
	var sc scope
	for len(raw) > 0 {
		f, rest, err := nextField(raw)
		if err != nil {
			return sc, malformed("InstrumentationScope", err)
		}
		raw = rest
		if f.typ != 2 {
			continue
		}
		switch f.num {
		case scopeName:
			sc.name = d.w.Intern(f.b)
		case scopeVersion:
			sc.version = d.w.Intern(f.b)
		}
	}
	return sc, nil
}

// Event names of agentlib's records, which logs.go handles.
func isAgentEvent(name []byte) bool {
	return string(name) == eventGoTrace || string(name) == eventAgentStatus
}

func (ld *logDecode) logRecord(b []byte, sc *scope, pr *pendingRes) error {
	logs := append(ld.batch.Logs, model.LogRec{Scope: sc.name})
	rec := &logs[len(logs)-1] // kept only when logs is stored back below
	var traceID, spanID, body, sevText, event []byte
	var observed int64
	var bodyVal anyValue
	var hasBody bool
	w := ld.w
	w.Reset()
	dropped := 0
	var f field
	for len(b) > 0 {
		rest, err := readField(b, &f)
		if err != nil {
			return malformed("LogRecord", err)
		}
		b = rest
		switch f.typ {
		case 0:
			if f.num == logSeverity && f.u <= 24 {
				rec.Severity = model.Severity(f.u)
			}
		case 1:
			switch f.num {
			case logTime:
				rec.Time = clampTime(f.u)
			case logObserved:
				observed = clampTime(f.u)
			}
		case 2:
			switch f.num {
			case logBody:
				if bodyVal, err = parseAnyValue(f.b); err != nil {
					return err
				}
				hasBody = true
			case logAttributes:
				if w.Len() >= maxLogAttrs {
					dropped++
					continue
				}
				var key []byte
				var v anyValue
				if err := parseKeyValue(f.b, &key, &v); err != nil {
					return err
				}
				if err := ld.writeAttr(w, key, &v); err != nil {
					return err
				}
			case logSeverityText:
				sevText = f.b
			case logTraceID:
				traceID = f.b
			case logSpanID:
				spanID = f.b
			case logEventName:
				event = f.b
			}
		}
	}
	if isAgentEvent(event) {
		ld.agent = true
		return nil
	}
	switch {
	case len(traceID) != 0 && len(traceID) != 16:
		return ld.reject(fmt.Sprintf("invalid trace ID length %d (want 16 bytes or none)", len(traceID)))
	case len(spanID) != 0 && len(spanID) != 8:
		return ld.reject(fmt.Sprintf("invalid span ID length %d (want 8 bytes or none)", len(spanID)))
	}
	copy(rec.TraceID[:], traceID)
	copy(rec.SpanID[:], spanID)
	if rec.Time == 0 {
		rec.Time = observed
	}
	if rec.Time == 0 {
		rec.Time = ld.now
	}
	if len(sevText) > 0 {
		rec.SevText = w.Intern(sevText)
		if rec.Severity == 0 {
			rec.Severity, _ = model.SeverityOf(string(sevText))
		}
	}
	if len(event) > 0 {
		rec.Event = w.Intern(event)
	}
	if hasBody {
		if bodyVal.kind == valString {
			body = bodyVal.b
		} else {
			var err error
			if ld.scratch, err = render(ld.scratch[:0], bodyVal, 0); err != nil {
				return err
			}
			body = ld.scratch
		}
	}
	if len(body) > maxLogBody {
		body, rec.Truncated = body[:maxLogBody], true
	}
	if dropped > 0 {
		w.Int([]byte("spantop.dropped_attributes"), int64(dropped))
	}
	ld.data = append(ld.data, body...)
	ld.data = w.AppendTo(ld.data)
	ld.ends = append(ld.ends, len(ld.data))
	rec.BodyLen = uint32(len(body))
	rec.NumAttrs = uint16(w.Len())
	rec.Res = ld.resIndex(pr)
	ld.batch.Logs = logs
	return nil
}

func (d *decoder) reject(why string) error {
	d.rejected++
	if d.firstBad == "" {
		d.firstBad = why
	}
	return nil
}
