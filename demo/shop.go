package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/spantop/spantop/agentlib"
)

// shop is the demo system: four HTTP services on loopback (frontend,
// checkout, inventory, payments), an auth service reached through an
// in-process RPC, and a shipping service that consumes an orders queue.
type shop struct {
	cfg    config
	svcs   map[string]*service
	base   map[string]string // service name → http://127.0.0.1:port
	lns    []net.Listener
	srvs   []*http.Server
	client *http.Client
	orders chan message
	start  time.Time

	orderQueries atomic.Int64
	offset       atomic.Int64
	streams      atomic.Int32
	wg           sync.WaitGroup

	// stock is the inventory's hot lock: the stock sync holds it too long,
	// so requests queue behind it. dbConns bounds payments' database pool.
	stock   *agentlib.Mutex
	dbConns *agentlib.Semaphore
	// leaked counts the goroutines the shipping consumer has leaked.
	leaked atomic.Int64
}

// message is one entry on the orders queue; headers carry trace context the
// way Kafka record headers do.
type message struct {
	id      string
	order   int
	headers map[string]string
}

func startShop(svcs map[string]*service, cfg config) (*shop, error) {
	s := &shop{
		cfg: cfg, svcs: svcs,
		base:    make(map[string]string),
		orders:  make(chan message, 256),
		start:   time.Now(),
		stock:   agentlib.NewMutex("inventory.stock"),
		dbConns: agentlib.NewSemaphore("payments.db-conns", 2),
		client: &http.Client{
			Timeout:   10 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
		},
	}
	routes := map[string]func(*http.ServeMux){
		"frontend":  s.frontendRoutes,
		"checkout":  s.checkoutRoutes,
		"inventory": s.inventoryRoutes,
		"payments":  s.paymentsRoutes,
	}
	for _, name := range []string{"frontend", "checkout", "inventory", "payments"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.close()
			return nil, fmt.Errorf("demo: listen for %s: %w", name, err)
		}
		mux := http.NewServeMux()
		routes[name](mux)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		s.lns = append(s.lns, ln)
		s.srvs = append(s.srvs, srv)
		s.base[name] = "http://" + ln.Addr().String()
		go func() {
			// Serve returns ErrServerClosed on close; any other error means
			// the listener broke, and requests to it fail visibly as spans.
			_ = srv.Serve(ln)
		}()
	}
	if err := s.observeQueue(); err != nil {
		return nil, err
	}
	return s, nil
}

// close stops the HTTP servers, giving running handlers a moment to end
// their spans.
func (s *shop) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, srv := range s.srvs {
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close() // already failing to stop politely; force it
		}
	}
	s.client.CloseIdleConnections()
}

// run drives the shop until ctx ends: user requests at cfg.rate, the
// orders consumer, the periodic reconcile job and long-lived event streams.
func (s *shop) run(ctx context.Context) {
	s.wg.Add(3)
	agentlib.Go(ctx, "orders-consumer", func(ctx context.Context) { defer s.wg.Done(); s.consume(ctx) })
	agentlib.Go(ctx, "reconcile-loop", func(ctx context.Context) { defer s.wg.Done(); s.reconcileLoop(ctx) })
	agentlib.Go(ctx, "stock-sync", func(ctx context.Context) { defer s.wg.Done(); s.stockSync(ctx) })
	tick := time.NewTicker(time.Duration(float64(time.Second) / s.cfg.rate))
	defer tick.Stop()
	sem := make(chan struct{}, 64) // bound the load when the shop is slow
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			s.wg.Wait()
			return
		case <-tick.C:
		}
		var path, method string
		switch r := rand.IntN(100); {
		case r < 45:
			method, path = http.MethodPost, fmt.Sprintf("/api/checkout?cart=%d", rand.IntN(9000)+1000)
		case r < 80:
			method, path = http.MethodGet, "/api/products/"+sku()
		default:
			method, path = http.MethodGet, fmt.Sprintf("/api/orders?customer=%d", rand.IntN(500)+1)
		}
		// A browser holds a few event streams open: long SERVER spans.
		if n%int(3*s.cfg.rate+1) == 0 && s.streams.Load() < 3 {
			s.streams.Add(1)
			s.wg.Go(func() {
				defer s.streams.Add(-1)
				s.visit(ctx, http.MethodGet, "/api/events")
			})
		}
		select {
		case sem <- struct{}{}:
		default:
			continue
		}
		s.wg.Go(func() {
			defer func() { <-sem }()
			s.visit(ctx, method, path)
		})
	}
}

// visit is a user's browser: a plain request without trace context, so the
// frontend's SERVER span is the root of the trace.
func (s *shop) visit(ctx context.Context, method, path string) {
	req, err := http.NewRequestWithContext(ctx, method, s.base["frontend"]+path, nil)
	if err != nil {
		return
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) spantop-demo")
	resp, err := s.client.Do(req)
	if err != nil {
		return // the frontend's span already tells the story
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

func (s *shop) failing(now time.Time) bool {
	if s.cfg.burstFor <= 0 {
		return false
	}
	phase := now.Sub(s.start) % s.cfg.burstEvery
	return phase >= s.cfg.burstAt && phase < s.cfg.burstAt+s.cfg.burstFor
}

// ---- frontend ---------------------------------------------------------------

func (s *shop) frontendRoutes(mux *http.ServeMux) {
	fe := s.svcs["frontend"]
	s.handle(mux, fe, http.MethodPost, "/api/checkout", func(ctx context.Context, r *http.Request) (int, error) {
		tracer := fe.tracer
		// The session is loaded before the call, not around it: its span is
		// a sibling of the checkout call, so its context stays here.
		sctx, span := tracer.Start(ctx, "session.load")
		span.SetAttributes(attribute.String("enduser.pseudo.id", fmt.Sprintf("u-%04d", rand.IntN(5000))))
		sleep(sctx, jitter(2*time.Millisecond, 3*time.Millisecond))
		span.End()
		code, err := s.call(ctx, fe, "checkout", http.MethodPost, "/checkout", "/checkout?"+r.URL.RawQuery)
		if err != nil {
			return http.StatusBadGateway, fmt.Errorf("checkout: %w", err)
		}
		if code >= 500 {
			return http.StatusBadGateway, upstreamError{fmt.Sprintf("checkout answered %d", code)}
		}
		return code, nil
	})
	s.handle(mux, fe, http.MethodGet, "/api/products/{sku}", func(ctx context.Context, r *http.Request) (int, error) {
		code, err := s.call(ctx, fe, "inventory", http.MethodGet, "/stock/{sku}", "/stock/"+r.PathValue("sku"))
		if err != nil {
			return http.StatusBadGateway, fmt.Errorf("inventory: %w", err)
		}
		return code, nil
	})
	s.handle(mux, fe, http.MethodGet, "/api/orders", func(ctx context.Context, r *http.Request) (int, error) {
		code, err := s.call(ctx, fe, "checkout", http.MethodGet, "/orders", "/orders?"+r.URL.RawQuery)
		if err != nil {
			return http.StatusBadGateway, fmt.Errorf("order history: %w", err)
		}
		return code, nil
	})
	s.handle(mux, fe, http.MethodGet, "/api/events", func(ctx context.Context, _ *http.Request) (int, error) {
		// A server-sent event stream: one long SERVER span with an event
		// per message pushed to the browser.
		span := trace.SpanFromContext(ctx)
		end := time.Now().Add(jitter(4*time.Second, 5*time.Second))
		for i := 0; time.Now().Before(end) && ctx.Err() == nil; i++ {
			sleep(ctx, jitter(700*time.Millisecond, 600*time.Millisecond))
			span.AddEvent("sse.message", trace.WithAttributes(
				attribute.String("sse.event", "cart.updated"), attribute.Int("sse.id", i)))
		}
		return http.StatusOK, nil
	})
}

// ---- checkout ---------------------------------------------------------------

func (s *shop) checkoutRoutes(mux *http.ServeMux) {
	co := s.svcs["checkout"]
	s.handle(mux, co, http.MethodPost, "/checkout", func(ctx context.Context, r *http.Request) (int, error) {
		if err := s.authorize(ctx, co); err != nil {
			return http.StatusUnauthorized, nil
		}
		vctx, v := co.tracer.Start(ctx, "cart.validate")
		v.SetAttributes(attribute.String("cart.id", r.URL.Query().Get("cart")), attribute.Int("cart.items", rand.IntN(6)+1))
		sleep(vctx, jitter(1*time.Millisecond, 4*time.Millisecond))
		v.End()

		// Fan out: reserve stock and charge the card at the same time.
		var wg sync.WaitGroup
		var invCode, payCode int
		var invErr, payErr error
		wg.Go(func() {
			invCode, invErr = s.call(ctx, co, "inventory", http.MethodPost, "/reserve", "/reserve")
		})
		wg.Go(func() {
			payCode, payErr = s.call(ctx, co, "payments", http.MethodPost, "/charge", "/charge")
		})
		wg.Wait()
		switch {
		case invErr != nil:
			return http.StatusBadGateway, fmt.Errorf("reserve stock: %w", invErr)
		case payErr != nil:
			return http.StatusBadGateway, fmt.Errorf("charge: %w", payErr)
		case payCode >= 500:
			return http.StatusBadGateway, upstreamError{fmt.Sprintf("charge failed: payments answered %d", payCode)}
		case invCode >= 400:
			return http.StatusConflict, nil
		}
		order := rand.IntN(1_000_000)
		s.db(ctx, co, "INSERT", "orders",
			"INSERT INTO orders (id, customer_id, status, total) VALUES ($1, $2, 'paid', $3)",
			jitter(2*time.Millisecond, 6*time.Millisecond))
		s.publish(ctx, co, order)
		return http.StatusOK, nil
	})
	s.handle(mux, co, http.MethodGet, "/orders", func(ctx context.Context, _ *http.Request) (int, error) {
		d := jitter(4*time.Millisecond, 10*time.Millisecond)
		if s.cfg.slowEvery > 0 && s.orderQueries.Add(1)%int64(s.cfg.slowEvery) == 0 {
			d = jitter(300*time.Millisecond, 1700*time.Millisecond) // no index on created_at
		}
		s.db(ctx, co, "SELECT", "orders",
			"SELECT id, status, total, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 50", d)
		return http.StatusOK, nil
	})
}

// The auth RPC as both of its sides describe it.
const authService, authMethod = "auth.v1.AuthService", "Check"

var authRPC = trace.WithAttributes(
	attribute.String("rpc.system", "grpc"), attribute.String("rpc.service", authService),
	attribute.String("rpc.method", authMethod),
	attribute.String("server.address", "auth.shop.internal"), attribute.Int("server.port", 50051))

// authorize calls auth.v1.AuthService/Check. The RPC runs in process: the
// trace context travels in a metadata map, as gRPC metadata would carry it.
func (s *shop) authorize(ctx context.Context, from *service) error {
	ctx, span := from.tracer.Start(ctx, authService+"/"+authMethod, trace.WithSpanKind(trace.SpanKindClient), authRPC)
	defer span.End()
	md := map[string]string{}
	propagator.Inject(ctx, propagation.MapCarrier(md))
	code := s.authServe(md)
	span.SetAttributes(attribute.Int("rpc.grpc.status_code", code))
	if code != 0 {
		span.SetStatus(codes.Error, "PERMISSION_DENIED")
		return errors.New("permission denied")
	}
	return nil
}

// authServe is the auth service's side of the RPC.
func (s *shop) authServe(md map[string]string) int {
	au := s.svcs["auth"]
	ctx := propagator.Extract(context.Background(), propagation.MapCarrier(md))
	ctx, span := au.tracer.Start(ctx, authService+"/"+authMethod, trace.WithSpanKind(trace.SpanKindServer), authRPC)
	defer span.End()
	s.redis(ctx, au, "GET", fmt.Sprintf("GET session:%04x", rand.IntN(1<<16)))
	sleep(ctx, jitter(500*time.Microsecond, 2*time.Millisecond))
	code := 0
	if rand.IntN(200) == 0 {
		code = 7 // PERMISSION_DENIED: a client error, not a server fault
	}
	span.SetAttributes(attribute.Int("rpc.grpc.status_code", code))
	return code
}

// publish puts the order on the orders queue with a PRODUCER span whose
// context rides in the message headers.
func (s *shop) publish(ctx context.Context, from *service, order int) {
	id := fmt.Sprintf("ord-%06d", order)
	ctx, span := from.tracer.Start(ctx, "send orders", trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.destination.name", "orders"),
			attribute.String("messaging.operation.name", "send"),
			attribute.String("messaging.operation.type", "send"),
			attribute.String("messaging.message.id", id),
			attribute.String("server.address", "kafka.shop.internal"), attribute.Int("server.port", 9092)))
	defer span.End()
	m := message{id: id, order: order, headers: map[string]string{}}
	propagator.Inject(ctx, propagation.MapCarrier(m.headers))
	select {
	case s.orders <- m:
	default:
		span.SetStatus(codes.Error, "queue full")
	}
}

// ---- inventory --------------------------------------------------------------

func (s *shop) inventoryRoutes(mux *http.ServeMux) {
	inv := s.svcs["inventory"]
	s.handle(mux, inv, http.MethodGet, "/stock/{sku}", func(ctx context.Context, r *http.Request) (int, error) {
		key := "stock:" + r.PathValue("sku")
		if s.redis(ctx, inv, "GET", "GET "+key) {
			return http.StatusOK, nil
		}
		trace.SpanFromContext(ctx).AddEvent("cache.miss", trace.WithAttributes(attribute.String("cache.key", key)))
		s.stock.Lock()
		s.db(ctx, inv, "SELECT", "stock",
			"SELECT sku, warehouse_id, quantity FROM stock WHERE sku = $1",
			jitter(2*time.Millisecond, 8*time.Millisecond))
		s.stock.Unlock()
		s.redis(ctx, inv, "SET", "SET "+key+" EX 30")
		if rand.IntN(50) == 0 {
			return http.StatusNotFound, nil
		}
		return http.StatusOK, nil
	})
	s.handle(mux, inv, http.MethodPost, "/reserve", func(ctx context.Context, _ *http.Request) (int, error) {
		s.stock.Lock()
		s.db(ctx, inv, "UPDATE", "stock",
			"UPDATE stock SET quantity = quantity - $1 WHERE sku = $2 AND quantity >= $1",
			jitter(3*time.Millisecond, 12*time.Millisecond))
		s.stock.Unlock()
		if rand.IntN(40) == 0 {
			trace.SpanFromContext(ctx).AddEvent("stock.insufficient")
			return http.StatusConflict, nil
		}
		return http.StatusOK, nil
	})
}

// ---- payments ---------------------------------------------------------------

func (s *shop) paymentsRoutes(mux *http.ServeMux) {
	pay := s.svcs["payments"]
	s.handle(mux, pay, http.MethodPost, "/charge", func(ctx context.Context, _ *http.Request) (int, error) {
		fctx, f := pay.tracer.Start(ctx, "fraud.score")
		burn(jitter(time.Millisecond, 2*time.Millisecond)) // the model runs on the CPU
		sleep(fctx, jitter(time.Millisecond, 4*time.Millisecond))
		score := rand.Float64()
		f.SetAttributes(attribute.Float64("fraud.score", score))
		if score > 0.9 {
			f.AddEvent("rule.matched", trace.WithAttributes(attribute.String("fraud.rule", "velocity")))
		}
		f.End()

		if s.failing(time.Now()) {
			// The card processor is down: the call hangs, then fails.
			span := trace.SpanFromContext(ctx)
			span.AddEvent("retry", trace.WithAttributes(attribute.Int("retry.attempt", 1)))
			pay.sig.log.WarnContext(ctx, "card processor not answering; retrying once", "retry.attempt", 1, "processor", "acme-pay")
			sleep(ctx, jitter(80*time.Millisecond, 120*time.Millisecond))
			return http.StatusServiceUnavailable,
				processorError{"card processor: upstream connect error or disconnect/reset before headers"}
		}
		if err := s.dbConns.Acquire(ctx); err != nil {
			return http.StatusServiceUnavailable, err
		}
		s.db(ctx, pay, "INSERT", "payments",
			"INSERT INTO payments (order_id, amount, currency, status) VALUES ($1, $2, 'EUR', 'captured')",
			jitter(2*time.Millisecond, 5*time.Millisecond))
		s.dbConns.Release()
		sleep(ctx, jitter(10*time.Millisecond, 30*time.Millisecond)) // the processor's own latency
		return http.StatusOK, nil
	})
}

// ---- shipping ---------------------------------------------------------------

// consume processes the orders queue with one CONSUMER span per message,
// a child of the producer's span and linked to it.
func (s *shop) consume(ctx context.Context) {
	sh := s.svcs["shipping"]
	for {
		var m message
		select {
		case <-ctx.Done():
			return
		case m = <-s.orders:
		}
		pctx := propagator.Extract(context.Background(), propagation.MapCarrier(m.headers))
		link := trace.Link{SpanContext: trace.SpanContextFromContext(pctx)}
		cctx, span := sh.tracer.Start(pctx, "process orders", trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithLinks(link),
			trace.WithAttributes(
				attribute.String("messaging.system", "kafka"),
				attribute.String("messaging.destination.name", "orders"),
				attribute.String("messaging.operation.name", "process"),
				attribute.String("messaging.operation.type", "process"),
				attribute.String("messaging.consumer.group.name", "shipping"),
				attribute.String("messaging.message.id", m.id),
				attribute.Int64("messaging.kafka.offset", s.offset.Add(1)),
				attribute.String("server.address", "kafka.shop.internal"), attribute.Int("server.port", 9092)))
		sleep(cctx, jitter(3*time.Millisecond, 10*time.Millisecond))
		s.db(cctx, sh, "INSERT", "shipments",
			"INSERT INTO shipments (order_id, carrier, status) VALUES ($1, $2, 'label_created')",
			jitter(2*time.Millisecond, 4*time.Millisecond))
		span.AddEvent("label.printed", trace.WithAttributes(attribute.String("shipping.carrier", "dhl")))
		sh.sig.log.InfoContext(cctx, "shipping label printed", "order.id", m.order, "shipping.carrier", "dhl")
		s.awaitAck(cctx, m)
		span.End()
	}
}

// awaitAck is the shipping consumer's bug: for some messages it starts a
// goroutine waiting for a carrier acknowledgement that never comes. The
// goroutines pile up, blocked on a channel: a leak spantop shows growing.
func (s *shop) awaitAck(ctx context.Context, m message) {
	if s.cfg.leakEvery <= 0 || m.order%s.cfg.leakEvery != 0 || s.leaked.Load() >= int64(s.cfg.leakMax) {
		return
	}
	s.leaked.Add(1)
	ack := make(chan struct{}) // nobody keeps it to send on
	agentlib.Go(ctx, "carrier-ack", func(ctx context.Context) {
		select {
		case <-ack:
		case <-ctx.Done(): // the demo's end, so tests and spantop's quit are clean
		}
	})
}

// stockSync refreshes the stock table from the warehouse while holding the
// inventory lock far longer than it should: the mutex hot spot.
func (s *shop) stockSync(ctx context.Context) {
	t := time.NewTicker(s.cfg.syncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.stock.Lock()
		sleep(ctx, jitter(s.cfg.syncHold, s.cfg.syncHold/2))
		s.stock.Unlock()
	}
}

// burn keeps a CPU busy for about d, as real work would.
func burn(d time.Duration) {
	end := time.Now().Add(d)
	x := uint64(1)
	for time.Now().Before(end) {
		for range 1000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	burnSink.Store(x)
}

var burnSink atomic.Uint64

// reconcileLoop starts the reconcile job every cfg.jobEvery: a span that
// runs for seconds, so spantop shows it running.
func (s *shop) reconcileLoop(ctx context.Context) {
	sh := s.svcs["shipping"]
	t := time.NewTimer(s.cfg.jobEvery / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		jctx, span := sh.tracer.Start(ctx, "reconcile inventory",
			trace.WithAttributes(attribute.String("job.name", "reconcile-inventory"), attribute.String("job.trigger", "timer")))
		end := time.Now().Add(jitter(4*time.Second, 3*time.Second))
		for batch := 0; time.Now().Before(end) && jctx.Err() == nil; batch++ {
			s.db(jctx, sh, "SELECT", "shipments",
				"SELECT order_id, sku, quantity FROM shipments WHERE status = 'label_created' LIMIT 100 OFFSET $1",
				jitter(150*time.Millisecond, 300*time.Millisecond))
			// The job's legacy stock client drops the context (see callWith).
			if _, err := s.callWith(jctx, sh, "inventory", http.MethodGet, "/stock/{sku}", "/stock/"+sku(), false); err != nil {
				span.AddEvent("batch.skipped", trace.WithAttributes(attribute.String("reason", err.Error())))
			}
			span.AddEvent("batch.done", trace.WithAttributes(attribute.Int("batch", batch), attribute.Int("rows", 100)))
			sleep(jctx, jitter(400*time.Millisecond, 400*time.Millisecond))
		}
		span.End()
		t.Reset(s.cfg.jobEvery)
	}
}

// ---- plumbing ---------------------------------------------------------------

// handle registers an HTTP handler wrapped in a SERVER span whose parent is
// extracted from the request's traceparent header.
func (s *shop) handle(mux *http.ServeMux, svc *service, method, route string,
	h func(ctx context.Context, r *http.Request) (int, error)) {
	mux.HandleFunc(method+" "+route, func(w http.ResponseWriter, r *http.Request) {
		ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		host, port, _ := net.SplitHostPort(r.Host)
		pn, _ := strconv.Atoi(port)
		peer, _, _ := net.SplitHostPort(r.RemoteAddr)
		ctx, span := svc.tracer.Start(ctx, method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				attribute.String("http.request.method", method),
				attribute.String("http.route", route),
				attribute.String("url.path", r.URL.Path),
				attribute.String("url.scheme", "http"),
				attribute.String("server.address", host),
				attribute.Int("server.port", pn),
				attribute.String("client.address", peer),
				attribute.String("network.protocol.version", "1.1"),
				attribute.String("user_agent.original", r.UserAgent())))
		if q := r.URL.RawQuery; q != "" {
			span.SetAttributes(attribute.String("url.query", q))
		}
		defer span.End()
		began := time.Now()
		code, err := h(ctx, r)
		took := time.Since(began)
		defer svc.sig.served(ctx, method, route, code, took, err) // before span.End: logged inside the span
		span.SetAttributes(attribute.Int("http.response.status_code", code))
		if code >= 500 {
			span.SetAttributes(attribute.String("error.type", strconv.Itoa(code)))
			if err != nil {
				// Record a stack where the failure starts; a failure passed
				// on from a downstream call carries only its message.
				var up upstreamError
				if errors.As(err, &up) {
					span.RecordError(err)
				} else {
					span.RecordError(err, trace.WithStackTrace(true))
				}
				span.SetStatus(codes.Error, err.Error())
			} else {
				span.SetStatus(codes.Error, http.StatusText(code))
			}
		}
		w.WriteHeader(code)
	})
}

// call makes an HTTP request to another demo service inside a CLIENT span
// and injects the W3C traceparent header into the request.
func (s *shop) call(ctx context.Context, from *service, to, method, route, path string) (int, error) {
	return s.callWith(ctx, from, to, method, route, path, true)
}

// callWith is call; with propagate false it forgets to inject the trace
// context, as a hand-rolled client often does, so the callee's SERVER span
// starts a trace of its own: the broken propagation spantop should point at.
func (s *shop) callWith(ctx context.Context, from *service, to, method, route, path string, propagate bool) (int, error) {
	target := s.base[to] + path
	ctx, span := from.tracer.Start(ctx, method+" "+route, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", method),
			attribute.String("url.full", target),
			attribute.String("url.template", route),
			attribute.String("peer.service", to)))
	defer span.End()
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return 0, err
	}
	host, port, _ := net.SplitHostPort(req.URL.Host)
	pn, _ := strconv.Atoi(port)
	span.SetAttributes(attribute.String("server.address", host), attribute.Int("server.port", pn))
	if propagate {
		propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.SetAttributes(attribute.String("error.type", "transport"))
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 500 {
		span.SetAttributes(attribute.String("error.type", strconv.Itoa(resp.StatusCode)))
		span.SetStatus(codes.Error, resp.Status)
	}
	return resp.StatusCode, nil
}

// db records a PostgreSQL CLIENT span and waits d, standing in for the query.
func (s *shop) db(ctx context.Context, from *service, op, table, query string, d time.Duration) {
	ctx, span := from.tracer.Start(ctx, op+" "+table, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("db.system.name", "postgresql"),
			attribute.String("db.system", "postgresql"),
			attribute.String("db.namespace", "shop"),
			attribute.String("db.collection.name", table),
			attribute.String("db.operation.name", op),
			attribute.String("db.query.text", query),
			attribute.String("db.statement", query),
			attribute.String("server.address", "postgres.shop.internal"),
			attribute.Int("server.port", 5432)))
	defer span.End()
	sleep(ctx, d)
	if op == "UPDATE" && rand.IntN(300) == 0 {
		err := errors.New("pq: deadlock detected (SQLSTATE 40P01)")
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.SetAttributes(attribute.String("db.response.status_code", "40P01"), attribute.String("error.type", "40P01"))
	}
}

// redis records a Redis CLIENT span; it reports a cache hit for GETs most
// of the time.
func (s *shop) redis(ctx context.Context, from *service, op, query string) bool {
	ctx, span := from.tracer.Start(ctx, "redis "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("db.system.name", "redis"),
			attribute.String("db.system", "redis"),
			attribute.String("db.operation.name", op),
			attribute.String("db.query.text", query),
			attribute.String("server.address", "redis.shop.internal"),
			attribute.Int("server.port", 6379)))
	defer span.End()
	sleep(ctx, jitter(200*time.Microsecond, 800*time.Microsecond))
	hit := op == "GET" && rand.IntN(10) < 7
	span.SetAttributes(attribute.Bool("cache.hit", hit))
	return hit
}

// upstreamError is a failure passed on from a downstream service.
type upstreamError struct{ msg string }

func (e upstreamError) Error() string { return e.msg }

// processorError is the card processor being down: where the error burst
// starts.
type processorError struct{ msg string }

func (e processorError) Error() string { return e.msg }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// jitter returns base plus a random part of up to spread.
func jitter(base, spread time.Duration) time.Duration {
	return base + rand.N(spread+1)
}

func sku() string { return fmt.Sprintf("SKU-%05d", rand.IntN(2000)) }
