package agentlib

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

func TestResolveEndpoint(t *testing.T) {
	tests := []struct {
		name    string
		opt     string
		env     map[string]string
		want    string
		tls     bool
		wantErr string
	}{
		{name: "default", want: "127.0.0.1:4317"},
		{name: "option host:port", opt: "localhost:5000", want: "localhost:5000"},
		{name: "option wins over env", opt: "127.0.0.1:1", env: map[string]string{"SPANTOP_ENDPOINT": "127.0.0.1:2"}, want: "127.0.0.1:1"},
		{name: "option URL", opt: "http://127.0.0.1:7000", want: "127.0.0.1:7000"},
		{name: "option https URL", opt: "https://spantop.example:443", want: "spantop.example:443", tls: true},
		{name: "option bare host", opt: "localhost", want: "localhost:4317"},
		{name: "option URL without port", opt: "http://localhost", want: "localhost:4317"},
		{name: "option URL with path", opt: "http://localhost:4317/v1/traces", want: "localhost:4317"},
		{name: "option host:port with path", opt: "localhost:4317/v1/traces", want: "localhost:4317"},
		{name: "HTTP port means gRPC port", opt: "http://localhost:4318", want: "localhost:4317"},
		{name: "IPv6 literal", opt: "[::1]:4000", want: "[::1]:4000"},
		{name: "IPv6 URL", opt: "http://[::1]:4000", want: "[::1]:4000"},
		{name: "empty host", opt: ":4000", want: "127.0.0.1:4000"},
		{name: "SPANTOP_ENDPOINT", env: map[string]string{"SPANTOP_ENDPOINT": "10.0.0.5:4317"}, want: "10.0.0.5:4317"},
		{name: "SPANTOP_ENDPOINT wins over OTEL", env: map[string]string{"SPANTOP_ENDPOINT": "127.0.0.1:9", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4317"}, want: "127.0.0.1:9"},
		{name: "OTEL loopback URL", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:14317"}, want: "localhost:14317"},
		{name: "OTEL loopback host:port", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "127.0.0.2:4317"}, want: "127.0.0.2:4317"},
		{name: "OTEL loopback IPv6", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://[::1]:4317"}, want: "[::1]:4317"},
		{name: "OTEL loopback HTTP port", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, want: "127.0.0.1:4317"},
		{name: "OTEL remote is ignored", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example:4317"}, want: "127.0.0.1:4317"},
		{name: "OTEL malformed is ignored", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://localhost:21"}, want: "127.0.0.1:4317"},
		{name: "bad scheme", opt: "ftp://localhost:21", wantErr: "unsupported scheme"},
		{name: "bad port", opt: "localhost:http", wantErr: "bad port"},
		{name: "port out of range", opt: "localhost:70000", wantErr: "bad port"},
		{name: "URL without host", opt: "http://", wantErr: "no host"},
		{name: "bad SPANTOP_ENDPOINT", env: map[string]string{"SPANTOP_ENDPOINT": "localhost:0"}, wantErr: "SPANTOP_ENDPOINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			ep, err := resolveEndpoint(tt.opt, getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ep.target != tt.want || ep.tls != tt.tls {
				t.Errorf("got %s (tls %v), want %s (tls %v)", ep.target, ep.tls, tt.want, tt.tls)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"localhost:1": true, "LOCALHOST:1": true, "app.localhost:1": true, "127.0.0.1:1": true,
		"127.1.2.3:1": true, "[::1]:1": true, "[::ffff:127.0.0.1]:1": true,
		"10.0.0.1:1": false, "example.com:1": false, "[::2]:1": false, "0.0.0.0:1": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestResourceAttrs(t *testing.T) {
	get := func(attrs []attribute.KeyValue, k string) string {
		for _, a := range attrs {
			if string(a.Key) == k {
				return a.Value.String()
			}
		}
		return ""
	}
	env := map[string]string{
		"OTEL_SERVICE_NAME":        "from-env",
		"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=dev,team=a%20b,service.name=ignored,bad,=x",
	}
	getenv := func(k string) string { return env[k] }

	attrs := resourceAttrs(&Options{ResourceAttributes: []attribute.KeyValue{attribute.String("team", "opt"), attribute.String("process.pid", "1")}}, getenv, nil)
	for k, want := range map[string]string{
		"service.name":           "from-env",
		"deployment.environment": "dev",
		"team":                   "opt", // the option wins over the environment
		"process.runtime.name":   "go",
	} {
		if got := get(attrs, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if get(attrs, "process.pid") == "1" {
		t.Error("an option replaced process.pid")
	}
	for _, k := range []string{"process.pid", "process.runtime.version", "host.name"} {
		if get(attrs, k) == "" && k != "host.name" {
			t.Errorf("%s missing", k)
		}
	}
	if got := get(resourceAttrs(&Options{ServiceName: "opt"}, getenv, nil), "service.name"); got != "opt" {
		t.Errorf("ServiceName option: service.name = %q", got)
	}
	none := func(string) string { return "" }
	if got, want := get(resourceAttrs(&Options{}, none, nil), "service.name"), "unknown_service:"+executableName(); got != want {
		t.Errorf("no name given: service.name = %q, want the OTel SDK's default %q", got, want)
	}
	// No instance ID is made up: the application's spans would lack it
	// and spantop would show two services.
	if got := get(resourceAttrs(&Options{}, none, nil), "service.instance.id"); got != "" {
		t.Errorf("service.instance.id = %q, want none", got)
	}
	// The spans' service wins over the environment, with its namespace
	// and instance ID; the option wins over the spans'.
	span := []attribute.KeyValue{attribute.String("service.name", "myapp"), attribute.String("service.namespace", "shop"),
		attribute.String("service.instance.id", "i-7"), attribute.String("telemetry.sdk.language", "go")}
	adopted := resourceAttrs(&Options{}, getenv, span)
	for k, want := range map[string]string{"service.name": "myapp", "service.namespace": "shop", "service.instance.id": "i-7"} {
		if got := get(adopted, k); got != want {
			t.Errorf("adopted %s = %q, want %q", k, got, want)
		}
	}
	if got := get(resourceAttrs(&Options{ServiceName: "opt"}, getenv, span), "service.name"); got != "opt" {
		t.Errorf("option and spans: service.name = %q, want the option's", got)
	}
	if got := get(resourceAttrs(&Options{}, func(k string) string {
		return map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=res-env"}[k]
	}, nil), "service.name"); got != "res-env" {
		t.Errorf("OTEL_RESOURCE_ATTRIBUTES service.name: got %q", got)
	}
}

func TestResolveSecurity(t *testing.T) {
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	// Any certificate will do for the pool; this one is self-signed.
	if err := os.WriteFile(caFile, []byte(testCAPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	plainEP, _ := parseEndpoint("http://127.0.0.1:4317", "test")
	bareEP, _ := parseEndpoint("10.0.0.2:4317", "test")
	httpsEP, _ := parseEndpoint("https://spantop.example:4317", "test")
	for _, tc := range []struct {
		name    string
		opts    Options
		ep      endpoint
		env     func(string) string
		tls     bool
		roots   bool
		headers map[string]string
	}{
		{name: "default", ep: bareEP, env: env()},
		{name: "https", ep: httpsEP, env: env(), tls: true},
		{name: "insecure=false", ep: bareEP, env: env("OTEL_EXPORTER_OTLP_INSECURE", "false"), tls: true},
		{name: "http stays plain", ep: plainEP, env: env("OTEL_EXPORTER_OTLP_INSECURE", "false")},
		{name: "certificate", ep: bareEP, env: env("OTEL_EXPORTER_OTLP_CERTIFICATE", caFile), tls: true, roots: true},
		{name: "headers env", ep: bareEP, env: env("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20abc,x-team=a"),
			headers: map[string]string{"authorization": "Bearer abc", "x-team": "a"}},
		{name: "SPANTOP_TOKEN", ep: bareEP, env: env("SPANTOP_TOKEN", "tok"), headers: map[string]string{"authorization": "Bearer tok"}},
		{name: "option wins", ep: bareEP, opts: Options{Headers: map[string]string{"Authorization": "Bearer opt"}},
			env: env("SPANTOP_TOKEN", "tok"), headers: map[string]string{"authorization": "Bearer opt"}},
	} {
		sec, err := resolveSecurity(&tc.opts, tc.ep, tc.env)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if (sec.tls != nil) != tc.tls || (sec.tls != nil && (sec.tls.RootCAs != nil) != tc.roots) {
			t.Errorf("%s: tls %+v, want tls %v roots %v", tc.name, sec.tls, tc.tls, tc.roots)
		}
		if !maps.Equal(sec.headers, tc.headers) {
			t.Errorf("%s: headers %v, want %v", tc.name, sec.headers, tc.headers)
		}
	}
	if _, err := resolveSecurity(&Options{}, bareEP, env("OTEL_EXPORTER_OTLP_CERTIFICATE", filepath.Join(dir, "none.pem"))); err == nil {
		t.Error("a missing certificate file is not an error")
	}
}

// testCAPEM is a self-signed certificate (ECDSA P-256, CN=spantop test).
const testCAPEM = `-----BEGIN CERTIFICATE-----
MIIBUDCB96ADAgECAgEBMAoGCCqGSM49BAMCMBcxFTATBgNVBAMTDHNwYW50b3Ag
dGVzdDAgFw03MDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAwMFowFzEVMBMGA1UE
AxMMc3BhbnRvcCB0ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfHB+dsAT
ENK1cW4jDC3e0xfu0vb7w8WGD8OUNRtmyEGpb/jiKXWwtFh/STCW0al2U1k2TpjZ
XKmdKRgQdiu7kKMyMDAwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUe4RYKLPN
F1jzCMW25t7roUVoSiAwCgYIKoZIzj0EAwIDSAAwRQIgYPZFTIi9PmU+q3ZzEJNk
SjMl1TFI2orDYTTsdYhAEw8CIQDL35i2Xq1HfOE7H0jHdfsAIROeNesOzdmPf9Zb
sf61Dw==
-----END CERTIFICATE-----
`
