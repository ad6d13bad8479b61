//go:build nometrics

package main

import (
	"errors"

	"github.com/gyro-rpc/gyro/engine"
)

// metricsInterceptor: this build links no Prometheus (see the package doc).
func metricsInterceptor() (engine.Interceptor, error) {
	return engine.Interceptor{}, errors.New("-metrics: built with the nometrics tag")
}
