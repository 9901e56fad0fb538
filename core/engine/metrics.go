package engine

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/core/monitor/prom"
)

// metricsServer serves the monitor's latest samples to Prometheus.
type metricsServer struct {
	addr string
	mon  *monitor.Service
	log  *slog.Logger
	srv  *prom.Server
}

func (m *metricsServer) Name() string { return "metrics" }

func (m *metricsServer) Start(ctx context.Context) error {
	srv, err := prom.Listen(ctx, m.addr, prom.NewHandler(m.mon, prom.Options{Log: m.log}), m.log)
	if err != nil {
		return fmt.Errorf("serve /metrics on %s: %w", m.addr, err)
	}
	m.srv = srv
	return nil
}

func (m *metricsServer) Stop(ctx context.Context) error {
	if m.srv == nil {
		return nil
	}
	return m.srv.Close(ctx)
}

// MetricsAddr is the address /metrics is served on, or "".
func (e *Engine) MetricsAddr() string {
	for _, s := range e.services {
		if m, ok := s.(*metricsServer); ok && m.srv != nil {
			return m.srv.Addr()
		}
	}
	return ""
}
