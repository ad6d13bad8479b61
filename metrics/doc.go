// Package metrics exports a daemon's calls, connections and name server
// operations as Prometheus metrics (github.com/prometheus/client_golang).
// It installs itself as an engine.Interceptor, so a program that does not
// import it does not link Prometheus:
//
//	m, _ := metrics.New(metrics.Options{})
//	d, _ := engine.New(engine.Options{Interceptors: []engine.Interceptor{m.Interceptor()}})
//	http.Handle("/metrics", m.Handler())
//
// Names follow Prometheus conventions (gyro_ prefix, base units, _total
// for counters, _seconds for durations); the README lists them. Object and
// method labels only ever hold names the program registered: a name a
// client made up is counted as Unknown ("_unknown_"), and object ids beyond
// Options.MaxObjects as Other ("_other_"), so clients cannot grow the
// label space.
package metrics
