package agentlib

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
)

// Options configure Start. The zero value is ready to use: it finds spantop
// on the loopback interface and names the service after the environment or
// the executable.
type Options struct {
	// Endpoint is spantop's OTLP/gRPC address, as host:port or as a URL
	// (http://host:port; https:// selects TLS). When empty, Start uses
	// SPANTOP_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT if it names a
	// loopback address, else 127.0.0.1:4317. A URL or address with spantop's
	// OTLP/HTTP port 4318 is taken to mean the gRPC port 4317 beside it.
	Endpoint string

	// TLS, when set, secures the connection with it. It is needed only for
	// a spantop listening beyond loopback with TLS (spantop --tls-cert);
	// without it, an https:// endpoint uses the system's roots, and
	// OTEL_EXPORTER_OTLP_CERTIFICATE (a PEM file of roots) turns TLS on
	// with those roots, as OTEL_EXPORTER_OTLP_INSECURE=false does with the
	// system's.
	TLS *tls.Config

	// Headers are sent with every export, e.g. "authorization": "Bearer …"
	// for a spantop that asks for a token (spantop --token). They are
	// added to those of OTEL_EXPORTER_OTLP_HEADERS, and SPANTOP_TOKEN
	// gives the authorization header when set.
	Headers map[string]string

	// ServiceName is the service.name resource attribute of agentlib's
	// metrics and execution trace. When empty, agentlib takes the service
	// of the first span it sees (its tracer provider's resource: name,
	// namespace, instance ID), waiting up to 2s after Start for one; else
	// OTEL_SERVICE_NAME, else service.name in OTEL_RESOURCE_ATTRIBUTES,
	// else "unknown_service:<executable>" as the OTel SDK does. Set it (or
	// OTEL_SERVICE_NAME) when the first span comes later than that and the
	// tracer provider names the service in code.
	ServiceName string

	// ResourceAttributes are added to the resource of everything agentlib
	// sends, with those of OTEL_RESOURCE_ATTRIBUTES; where both give a key,
	// the option wins. Neither can replace
	// the attributes agentlib sets itself (service.name, process.pid,
	// process.runtime.name, process.runtime.version, host.name).
	ResourceAttributes []attribute.KeyValue

	// ExportSpans sends every ended span to spantop, not only those that
	// were sent while in flight. Set it when the application has no other
	// exporter pointed at spantop.
	ExportSpans bool

	// TraceBudget is the average rate, in bytes per second over 10 seconds,
	// the execution trace may reach. Above it agentlib stops tracing, sends
	// a status record saying so and tries again a minute later. Zero means
	// 8 MiB/s; a negative value means no limit.
	TraceBudget int64

	// TraceQueueBytes bounds the execution trace held in memory, waiting to
	// be sent (and the generation being gathered). When spantop falls
	// behind, whole generations are dropped and counted. Zero means 16 MiB;
	// less than 1 MiB is taken as 1 MiB.
	TraceQueueBytes int64

	// DisableExecutionTrace turns the execution trace off: only spans and
	// runtime metrics are sent.
	DisableExecutionTrace bool
}

const (
	defaultEndpoint        = "127.0.0.1:4317"
	defaultTraceBudget     = 8 << 20
	defaultTraceQueueBytes = 16 << 20
)

// endpoint is where agentlib sends, after resolution.
type endpoint struct {
	target string // host:port for grpc.NewClient
	tls    bool   // the URL asked for https
	plain  bool   // the URL asked for http
}

// resolveEndpoint picks spantop's address: the option, else
// SPANTOP_ENDPOINT, else a loopback OTEL_EXPORTER_OTLP_ENDPOINT, else
// 127.0.0.1:4317. getenv is os.Getenv outside tests.
func resolveEndpoint(opt string, getenv func(string) string) (endpoint, error) {
	if s := strings.TrimSpace(opt); s != "" {
		return parseEndpoint(s, "Options.Endpoint")
	}
	if s := strings.TrimSpace(getenv("SPANTOP_ENDPOINT")); s != "" {
		return parseEndpoint(s, "SPANTOP_ENDPOINT")
	}
	if s := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")); s != "" {
		// The generic OTLP endpoint may point at a collector far away;
		// agentlib's data is for a spantop on this machine only.
		if ep, err := parseEndpoint(s, "OTEL_EXPORTER_OTLP_ENDPOINT"); err == nil && isLoopback(ep.target) {
			return ep, nil
		}
	}
	return endpoint{target: defaultEndpoint}, nil
}

// parseEndpoint accepts host:port, a bare host, or a URL with a scheme.
func parseEndpoint(s, source string) (endpoint, error) {
	var ep endpoint
	hostport := s
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return ep, fmt.Errorf("agentlib: %s %q: %w", source, s, err)
		}
		switch u.Scheme {
		case "http", "grpc":
			ep.plain = true
		case "https":
			ep.tls = true
		default:
			return ep, fmt.Errorf("agentlib: %s %q: unsupported scheme %q (want http or https)", source, s, u.Scheme)
		}
		hostport = u.Host
	} else if i := strings.IndexByte(s, '/'); i >= 0 {
		hostport = s[:i] // host:port/v1/traces
	}
	if hostport == "" {
		return ep, fmt.Errorf("agentlib: %s %q: no host", source, s)
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		// A bare host (or a bracketed IPv6 literal) takes the OTLP/gRPC port.
		host, port = strings.Trim(hostport, "[]"), "4317"
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" || port == "4318" {
		port = "4317"
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return ep, fmt.Errorf("agentlib: %s %q: bad port %q", source, s, port)
	}
	ep.target = net.JoinHostPort(host, port)
	return ep, nil
}

// isLoopback reports whether host:port names this machine's loopback
// interface by name or address.
func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.Unmap().IsLoopback()
}

// identity holds the process attributes that are the same for every
// agent started in this process.
var identity = sync.OnceValue(func() (id struct{ host string }) {
	id.host, _ = os.Hostname()
	return id
})

// Resource attributes that name the service; agentlib takes them from the
// spans' resource when it adopts it.
var serviceKeys = []attribute.Key{"service.name", "service.namespace", "service.instance.id"}

// namedByUser reports whether the options or OTEL_SERVICE_NAME name the
// service: then agentlib need not wait for a span to learn it.
func namedByUser(o *Options, getenv func(string) string) bool {
	return o.ServiceName != "" || strings.TrimSpace(getenv("OTEL_SERVICE_NAME")) != ""
}

// resourceAttrs builds the resource agentlib sends its metrics and logs
// under. It must name the service exactly as the application's spans do,
// or spantop shows one process as two services: service.name is
// Options.ServiceName, else the spans' (span: their tracer provider's
// resource, nil when no span was seen), else OTEL_SERVICE_NAME, else
// service.name of the resource attributes, else "unknown_service:<exe>",
// the OTel SDK's own default. service.namespace and service.instance.id
// come from the spans' resource, else from the resource attributes; no
// instance ID is made up, since the spans would lack it. The process
// attributes (pid, runtime, host) do not split a service in spantop.
func resourceAttrs(o *Options, getenv func(string) string, span []attribute.KeyValue) []attribute.KeyValue {
	fromSpan := func(k attribute.Key) (attribute.KeyValue, bool) {
		for _, kv := range span {
			if kv.Key == k && kv.Value.AsString() != "" {
				return kv, true
			}
		}
		return attribute.KeyValue{}, false
	}
	name := o.ServiceName
	if name == "" {
		if kv, ok := fromSpan("service.name"); ok {
			name = kv.Value.AsString()
		}
	}
	if name == "" {
		name = strings.TrimSpace(getenv("OTEL_SERVICE_NAME"))
	}
	env := parseResourceEnv(getenv("OTEL_RESOURCE_ATTRIBUTES"))
	if name == "" {
		for _, kv := range append(append([]attribute.KeyValue(nil), o.ResourceAttributes...), env...) {
			if kv.Key == "service.name" && kv.Value.AsString() != "" {
				name = kv.Value.AsString()
				break
			}
		}
	}
	if name == "" {
		name = "unknown_service:" + executableName()
	}
	id := identity()
	own := []attribute.KeyValue{attribute.String("service.name", name)}
	for _, k := range serviceKeys[1:] {
		if kv, ok := fromSpan(k); ok {
			own = append(own, kv)
		}
	}
	own = append(own,
		attribute.Int("process.pid", os.Getpid()),
		attribute.String("process.runtime.name", "go"),
		attribute.String("process.runtime.version", runtime.Version()),
		attribute.String("host.name", id.host),
	)
	taken := make(map[attribute.Key]bool, len(own))
	for _, kv := range own {
		taken[kv.Key] = true
	}
	taken["service.name"] = true
	out := own
	add := func(kv attribute.KeyValue) {
		if !kv.Valid() || taken[kv.Key] {
			return
		}
		taken[kv.Key] = true
		out = append(out, kv)
	}
	// Options come first so that they win over the environment.
	for _, kv := range o.ResourceAttributes {
		add(kv)
	}
	for _, kv := range env {
		add(kv)
	}
	return out
}

// parseResourceEnv reads OTEL_RESOURCE_ATTRIBUTES (key=value pairs separated
// by commas, values percent-encoded), skipping malformed pairs.
func parseResourceEnv(s string) []attribute.KeyValue {
	var out []attribute.KeyValue
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			continue
		}
		if dv, err := url.PathUnescape(strings.TrimSpace(v)); err == nil {
			v = dv
		}
		out = append(out, attribute.String(k, strings.TrimSpace(v)))
	}
	return out
}

func executableName() string {
	if p, err := os.Executable(); err == nil {
		return strings.TrimSuffix(filepath.Base(p), ".exe")
	}
	if len(os.Args) > 0 && os.Args[0] != "" {
		return filepath.Base(os.Args[0])
	}
	return "unknown_service:go"
}

// errAlreadyStarted is returned by Start while an agent runs.
var errAlreadyStarted = errors.New("agentlib: already started; call the stop function Start returned first")

// security is how agentlib connects: TLS (nil for plaintext) and the
// headers sent with every export.
type security struct {
	tls     *tls.Config
	headers map[string]string
}

// resolveSecurity combines the options with the standard OTLP environment:
// OTEL_EXPORTER_OTLP_HEADERS (key=value pairs, values percent-encoded) and
// SPANTOP_TOKEN (sent as "authorization: Bearer <token>") add headers, the
// options' Headers winning; OTEL_EXPORTER_OTLP_CERTIFICATE is a PEM file of
// roots to trust and turns TLS on. Without Options.TLS an https:// endpoint
// uses TLS and an http:// one plaintext; a bare host:port is plaintext
// (spantop's default) unless a certificate is given or
// OTEL_EXPORTER_OTLP_INSECURE is false.
// resolveTarget is where and how Start and NewSpanExporter send: the
// endpoint, then its security, from opts and the environment.
func resolveTarget(opts *Options) (endpoint, security, error) {
	ep, err := resolveEndpoint(opts.Endpoint, os.Getenv)
	if err != nil {
		return endpoint{}, security{}, err
	}
	sec, err := resolveSecurity(opts, ep, os.Getenv)
	return ep, sec, err
}

func resolveSecurity(o *Options, ep endpoint, getenv func(string) string) (security, error) {
	var sec security
	headers := map[string]string{}
	for _, kv := range parseResourceEnv(getenv("OTEL_EXPORTER_OTLP_HEADERS")) {
		headers[strings.ToLower(string(kv.Key))] = kv.Value.AsString()
	}
	if tok := strings.TrimSpace(getenv("SPANTOP_TOKEN")); tok != "" {
		headers["authorization"] = "Bearer " + tok
	}
	for k, v := range o.Headers {
		headers[strings.ToLower(k)] = v
	}
	if len(headers) > 0 {
		sec.headers = headers
	}
	if o.TLS != nil {
		sec.tls = o.TLS
		return sec, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if file := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_CERTIFICATE")); file != "" {
		pem, err := os.ReadFile(file)
		if err != nil {
			return sec, fmt.Errorf("agentlib: OTEL_EXPORTER_OTLP_CERTIFICATE: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return sec, fmt.Errorf("agentlib: OTEL_EXPORTER_OTLP_CERTIFICATE %s: no PEM certificate in it", file)
		}
		cfg.RootCAs = roots
		if !ep.plain {
			sec.tls = cfg
		}
		return sec, nil
	}
	insecure := strings.ToLower(strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_INSECURE")))
	if ep.tls || (!ep.plain && insecure == "false") {
		sec.tls = cfg
	}
	return sec, nil
}
