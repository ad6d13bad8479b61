// Package monitor serves a gyro program's monitoring endpoints over HTTP,
// in the manner of nats-server's monitoring port:
//
//   - /metrics: Prometheus metrics (package metrics, plus the Go runtime's);
//   - /healthz: 200 "ok" while every added daemon serves, 503 after a
//     shutdown;
//   - /varz: JSON: version, uptime, server type, daemons, totals;
//   - /connz: JSON: each open connection's peer, protocol, serializer, TLS
//     subject, idle time, calls and calls in flight (?offset=, ?limit=).
//
// A Monitor observes daemons through the interceptors it returns, and logs
// calls and connection events with log/slog:
//
//	mon, _ := monitor.New(monitor.Options{Version: "1.0"})
//	d, _ := engine.New(engine.Options{Interceptors: mon.Interceptors()})
//	mon.AddDaemon(d)
//	addr, _ := mon.Listen(ctx, "127.0.0.1:8222")
//
// The endpoints show peers and object names: bind them to a private
// address. Nothing is served unless Listen (or Handler) is used.
package monitor
