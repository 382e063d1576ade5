package ingest

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/spantop/spantop/model"
)

// OTLP field numbers of the metrics messages the decoder reads.
const (
	metricsReqResourceMetrics = 1 // ExportMetricsServiceRequest
	resMetricsResource        = 1 // ResourceMetrics
	resMetricsScopeMetrics    = 2
	scopeMetricsMetrics       = 2 // ScopeMetrics

	metricName        = 1 // Metric
	metricDesc        = 2
	metricUnit        = 3
	metricGauge       = 5
	metricSum         = 7
	metricHistogram   = 9
	metricExpHist     = 10
	metricSummary     = 11
	dataPoints        = 1 // Gauge, Sum, Histogram, … data_points
	dataTemporality   = 2 // aggregation_temporality: 1 delta, 2 cumulative
	sumMonotonic      = 3
	temporalityDelta  = 1
	pointStart        = 2 // every data point: start_time_unix_nano (fixed64)
	pointTime         = 3 // time_unix_nano (fixed64)
	numberAsDouble    = 4 // NumberDataPoint
	numberAsInt       = 6
	numberAttrs       = 7
	numberFlags       = 8
	histCount         = 4 // HistogramDataPoint
	histSum           = 5
	histBucketCounts  = 6
	histBounds        = 7
	histAttrs         = 9
	histFlags         = 10
	expAttrs          = 1 // ExponentialHistogramDataPoint
	expCount          = 4
	expSum            = 5
	expScale          = 6
	expZeroCount      = 7
	expPositive       = 8
	expNegative       = 9
	expFlags          = 10
	bucketsOffset     = 1 // ExponentialHistogramDataPoint.Buckets
	bucketsCounts     = 2
	summaryCount      = 4 // SummaryDataPoint
	summarySum        = 5
	summaryQuantiles  = 6
	summaryAttrs      = 7
	summaryFlags      = 8
	quantileQuantile  = 1 // ValueAtQuantile
	quantileValue     = 2
	flagNoRecorded    = 1 // DataPointFlags: no recorded value
	maxPointBuckets   = 4096
	maxPointQuantiles = 64
)

// pointAttrs is the attributes' field number in each type's data point.
var pointAttrs = [...]protowire.Number{
	model.MetricGauge: numberAttrs, model.MetricSum: numberAttrs, model.MetricHistogram: histAttrs,
	model.MetricExpHistogram: expAttrs, model.MetricSummary: summaryAttrs,
}

// metricDecode is the state of one metrics request's decode.
type metricDecode struct {
	*decoder
	// runtime says the request holds agentlib's spantop.go.* metrics,
	// which metrics.go also turns into runtime samples.
	runtime bool
}

// DecodeMetrics decodes an OTLP ExportMetricsServiceRequest straight from
// its wire bytes into a batch of metric points, one per data point,
// interning strings in syms. Points without a value, with malformed
// buckets or NaN are left out and counted in rejected with the first
// reason; points flagged as having no recorded value are skipped. runtime
// reports agentlib's spantop.go.* metrics among them.
func DecodeMetrics(b []byte, syms *model.Symbols, w *model.AttrWriter) (batch *model.Batch, runtime bool, rejected int, errMsg string, err error) {
	d := decoder{syms: syms, w: w}
	batch, runtime, rejected, first, err := d.decodeMetrics(b)
	return batch, runtime, rejected, pointsRejectedMsg(rejected, first), err
}

func pointsRejectedMsg(n int, first string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d data point(s) rejected; first: %s", n, first)
}

func (d *decoder) decodeMetrics(b []byte) (*model.Batch, bool, int, string, error) {
	defer d.reset()
	md := metricDecode{decoder: d}
	d.batch = &model.Batch{}
	err := eachNested(b, "ExportMetricsServiceRequest", metricsReqResourceMetrics, func(rm []byte) error {
		raw := lastField(rm, resMetricsResource)
		pr := pendingRes{raw: raw, index: -1}
		if i, ok := d.resByRaw[string(raw)]; ok {
			pr.index = i
		} else if err := d.resource(raw, &pr.res); err != nil {
			return err
		}
		return eachNested(rm, "ResourceMetrics", resMetricsScopeMetrics, func(sm []byte) error {
			return eachNested(sm, "ScopeMetrics", scopeMetricsMetrics, func(m []byte) error {
				return md.metric(m, &pr)
			})
		})
	})
	if err != nil {
		return nil, false, 0, "", err
	}
	return d.batch, md.runtime, d.rejected, d.firstBad, nil
}

// metric decodes one Metric: its name, unit and description first
// (protobuf lets them follow the data), then each data point.
func (md *metricDecode) metric(b []byte, pr *pendingRes) error {
	var tmpl model.MetricRec
	var name []byte
	var data field
	for rest := b; len(rest) > 0; {
		var f field
		var err error
		if rest, err = readField(rest, &f); err != nil {
			return malformed("Metric", err)
		}
		if f.typ != 2 {
			continue
		}
		switch f.num {
		case metricName:
			name = f.b
		case metricDesc:
			tmpl.Desc = md.w.Intern(f.b)
		case metricUnit:
			tmpl.Unit = md.w.Intern(f.b)
		case metricGauge, metricSum, metricHistogram, metricExpHist, metricSummary:
			data = f
		}
	}
	if data.b == nil {
		return nil // no data (or an unknown type): nothing to keep
	}
	if len(name) == 0 {
		return eachNested(data.b, "metric data", dataPoints, func([]byte) error { return md.reject("metric without a name") })
	}
	tmpl.Name = md.w.Intern(name)
	if strings.HasPrefix(string(name), runtimeMetricPrefix) {
		md.runtime = true
	}
	switch data.num {
	case metricGauge:
		tmpl.Type = model.MetricGauge
	case metricSum:
		tmpl.Type = model.MetricSum
	case metricHistogram:
		tmpl.Type = model.MetricHistogram
	case metricExpHist:
		tmpl.Type = model.MetricExpHistogram
	case metricSummary:
		tmpl.Type = model.MetricSummary
	}
	var f field
	for rest := data.b; len(rest) > 0; {
		var err error
		if rest, err = readField(rest, &f); err != nil {
			return malformed("metric data", err)
		}
		switch {
		case f.num == dataTemporality && f.typ == 0:
			tmpl.Delta = f.u == temporalityDelta
		case f.num == sumMonotonic && f.typ == 0 && data.num == metricSum:
			tmpl.Monotonic = f.u != 0
		}
	}
	return eachNested(data.b, "metric data", dataPoints, func(dp []byte) error {
		p := tmpl
		why, err := md.point(dp, &p)
		if err != nil {
			return err
		}
		if why == "skip" {
			return nil
		}
		if why != "" {
			return md.reject(fmt.Sprintf("%s: %s", name, why))
		}
		p.Res = md.resIndex(pr)
		md.batch.Metrics = append(md.batch.Metrics, p)
		return nil
	})
}

// point decodes one data point into p; why says what is wrong with it
// ("skip" for a point with no recorded value).
func (md *metricDecode) point(b []byte, p *model.MetricRec) (why string, err error) {
	w := md.w
	w.Reset()
	attrField := pointAttrs[p.Type]
	var h *model.HistPoint
	if p.Type >= model.MetricHistogram {
		h = &model.HistPoint{}
		p.Hist = h
	}
	hasValue := false
	var flags uint64
	var f field
	for len(b) > 0 {
		if b, err = readField(b, &f); err != nil {
			return "", malformed("data point", err)
		}
		if f.num == attrField && f.typ == 2 {
			if w.Len() >= maxSpanAttrs {
				continue
			}
			var key []byte
			var v anyValue
			if err := parseKeyValue(f.b, &key, &v); err != nil {
				return "", err
			}
			if err := md.writeAttr(w, key, &v); err != nil {
				return "", err
			}
			continue
		}
		if f.typ == 1 && (f.num == pointStart || f.num == pointTime) {
			if f.num == pointStart {
				p.Start = clampTime(f.u)
			} else {
				p.Time = clampTime(f.u)
			}
			continue
		}
		switch p.Type {
		case model.MetricGauge, model.MetricSum:
			switch {
			case f.num == numberAsDouble && f.typ == 1:
				p.Value, hasValue = math.Float64frombits(f.u), true
			case f.num == numberAsInt && f.typ == 1:
				p.Value, hasValue = float64(int64(f.u)), true
			case f.num == numberFlags && f.typ == 0:
				flags = f.u
			}
		case model.MetricHistogram:
			switch {
			case f.num == histCount && f.typ == 1:
				h.Count, hasValue = f.u, true
			case f.num == histSum && f.typ == 1:
				h.Sum, h.HasSum = math.Float64frombits(f.u), true
			case f.num == histBucketCounts:
				if h.Counts, err = appendFixed64s(h.Counts, f); err != nil {
					return "", err
				}
			case f.num == histBounds:
				var raw []uint64
				if raw, err = appendFixed64s(nil, f); err != nil {
					return "", err
				}
				for _, u := range raw {
					h.Bounds = append(h.Bounds, math.Float64frombits(u))
				}
			case f.num == histFlags && f.typ == 0:
				flags = f.u
			}
		case model.MetricExpHistogram:
			switch {
			case f.num == expCount && f.typ == 1:
				h.Count, hasValue = f.u, true
			case f.num == expSum && f.typ == 1:
				h.Sum, h.HasSum = math.Float64frombits(f.u), true
			case f.num == expScale && f.typ == 0:
				h.Scale = int32(protowire.DecodeZigZag(f.u))
			case f.num == expZeroCount && f.typ == 1:
				h.ZeroCount = f.u
			case (f.num == expPositive || f.num == expNegative) && f.typ == 2:
				off, counts, err := expBucketsOf(f.b)
				if err != nil {
					return "", err
				}
				if f.num == expPositive {
					h.PosOffset, h.Pos = off, counts
				} else {
					h.NegOffset, h.Neg = off, counts
				}
			case f.num == expFlags && f.typ == 0:
				flags = f.u
			}
		case model.MetricSummary:
			switch {
			case f.num == summaryCount && f.typ == 1:
				h.Count, hasValue = f.u, true
			case f.num == summarySum && f.typ == 1:
				h.Sum, h.HasSum = math.Float64frombits(f.u), true
			case f.num == summaryQuantiles && f.typ == 2:
				q, err := quantileOf(f.b)
				if err != nil {
					return "", err
				}
				if len(h.Quantiles) < maxPointQuantiles {
					h.Quantiles = append(h.Quantiles, q)
				}
			case f.num == summaryFlags && f.typ == 0:
				flags = f.u
			}
		}
	}
	if flags&flagNoRecorded != 0 {
		return "skip", nil
	}
	switch {
	case p.Type <= model.MetricSum && !hasValue:
		return "data point has no value", nil
	case p.Type <= model.MetricSum && (math.IsNaN(p.Value) || math.IsInf(p.Value, 0)):
		return "data point value is not a finite number", nil
	case p.Type == model.MetricHistogram && len(h.Counts) > 0 && len(h.Counts) != len(h.Bounds)+1:
		return fmt.Sprintf("%d bucket counts for %d bounds (want bounds+1)", len(h.Counts), len(h.Bounds)), nil
	case p.Type == model.MetricHistogram && len(h.Counts) > maxPointBuckets:
		return fmt.Sprintf("%d buckets (at most %d)", len(h.Counts), maxPointBuckets), nil
	case p.Type == model.MetricExpHistogram && (h.Scale < -10 || h.Scale > 20):
		return fmt.Sprintf("exponential histogram scale %d outside -10…20", h.Scale), nil
	case p.Type == model.MetricExpHistogram && len(h.Pos)+len(h.Neg) > maxPointBuckets:
		return fmt.Sprintf("%d buckets (at most %d)", len(h.Pos)+len(h.Neg), maxPointBuckets), nil
	}
	p.Attrs, p.NumAttrs = w.Blob(), uint16(w.Len())
	return "", nil
}

// appendFixed64s reads a repeated fixed64/double field, packed or not.
func appendFixed64s(dst []uint64, f field) ([]uint64, error) {
	switch f.typ {
	case 1:
		return append(dst, f.u), nil
	case 2:
		if len(f.b)%8 != 0 {
			return dst, malformed("packed fixed64", errTruncated)
		}
		if len(dst)+len(f.b)/8 > maxPointBuckets+1 {
			return dst, malformed("packed fixed64", fmt.Errorf("more than %d values", maxPointBuckets+1))
		}
		for b := f.b; len(b) > 0; b = b[8:] {
			dst = append(dst, binary.LittleEndian.Uint64(b))
		}
	}
	return dst, nil
}

// expBucketsOf reads an exponential histogram's Buckets.
func expBucketsOf(b []byte) (offset int32, counts []uint64, err error) {
	var f field
	for len(b) > 0 {
		if b, err = readField(b, &f); err != nil {
			return 0, nil, malformed("Buckets", err)
		}
		switch {
		case f.num == bucketsOffset && f.typ == 0:
			offset = int32(protowire.DecodeZigZag(f.u))
		case f.num == bucketsCounts && f.typ == 0:
			counts = append(counts, f.u)
		case f.num == bucketsCounts && f.typ == 2:
			for p := f.b; len(p) > 0; {
				v, n := protowire.ConsumeVarint(p)
				if n < 0 {
					return 0, nil, malformed("Buckets", wireErr(n))
				}
				if len(counts) > maxPointBuckets {
					return 0, nil, malformed("Buckets", fmt.Errorf("more than %d buckets", maxPointBuckets))
				}
				counts = append(counts, v)
				p = p[n:]
			}
		}
	}
	return offset, counts, nil
}

func quantileOf(b []byte) (model.Quantile, error) {
	var q model.Quantile
	var f field
	var err error
	for len(b) > 0 {
		if b, err = readField(b, &f); err != nil {
			return q, malformed("ValueAtQuantile", err)
		}
		if f.typ != 1 {
			continue
		}
		switch f.num {
		case quantileQuantile:
			q.Q = math.Float64frombits(f.u)
		case quantileValue:
			q.Value = math.Float64frombits(f.u)
		}
	}
	return q, nil
}
