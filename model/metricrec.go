package model

// MetricType is the kind of an OTLP metric.
type MetricType uint8

// Metric types.
const (
	MetricGauge MetricType = iota + 1
	MetricSum
	MetricHistogram
	MetricExpHistogram
	MetricSummary
)

var metricTypeNames = [...]string{"", "gauge", "sum", "histogram", "exphistogram", "summary"}

// String returns the type's name as shown and filtered (type=histogram).
func (t MetricType) String() string {
	if int(t) < len(metricTypeNames) && t != 0 {
		return metricTypeNames[t]
	}
	return "unknown"
}

// MetricRec is one decoded metric data point with what identifies its
// stream: the metric's name and the point's attributes (and, through Res,
// its service).
type MetricRec struct {
	Name Sym
	Unit Sym
	Desc Sym
	// Res indexes Batch.Resources.
	Res  uint32
	Type MetricType
	// Monotonic is a sum's is_monotonic; Delta its (or a histogram's)
	// aggregation temporality (false: cumulative).
	Monotonic bool
	Delta     bool
	// Attrs is the point's attribute blob; NumAttrs counts its attributes.
	Attrs    []byte
	NumAttrs uint16
	// Start and Time are the point's start_time_unix_nano and
	// time_unix_nano.
	Start, Time int64
	// Value is a gauge's or sum's value.
	Value float64
	// Hist holds a histogram's, exponential histogram's or summary's point.
	Hist *HistPoint
}

// HistPoint is the distribution part of a histogram, exponential
// histogram or summary data point.
type HistPoint struct {
	Count  uint64
	Sum    float64
	HasSum bool
	// Bounds and Counts are an explicit histogram's: len(Counts) is
	// len(Bounds)+1 when well formed.
	Bounds []float64
	Counts []uint64
	// Scale, ZeroCount and the offset buckets are an exponential
	// histogram's.
	Scale     int32
	ZeroCount uint64
	PosOffset int32
	Pos       []uint64
	NegOffset int32
	Neg       []uint64
	// Quantiles are a summary's.
	Quantiles []Quantile
}

// Quantile is one of a summary's quantile values.
type Quantile struct {
	Q, Value float64
}

// Bucket is one bucket of a distribution: Count values in (Lo, Hi].
type Bucket struct {
	Lo, Hi float64
	Count  uint64
}
