//go:build !nometrics

package main

import (
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/metrics"
)

// metricsInterceptor observes calls with package metrics (Prometheus).
func metricsInterceptor() (engine.Interceptor, error) {
	m, err := metrics.New(metrics.Options{})
	if err != nil {
		return engine.Interceptor{}, err
	}
	return m.Interceptor(), nil
}
