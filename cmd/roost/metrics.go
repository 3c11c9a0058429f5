package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/roostd/roost/apply"
	"github.com/roostd/roost/cmd/roost/views"
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform"
)

// watchMetrics are watch's Prometheus metrics: counters and gauges that
// passes update, and a collector that reads the unikernels' state from the
// host at each scrape (so the figures are the host's, not watch's memory).
type watchMetrics struct {
	registry   *prometheus.Registry
	duration   prometheus.Histogram
	passes     *prometheus.CounterVec
	drift      *prometheus.CounterVec
	steps      *prometheus.CounterVec
	generation prometheus.Gauge
	valid      prometheus.Gauge
	info       *prometheus.GaugeVec
}

func newWatchMetrics(s *session) *watchMetrics {
	m := &watchMetrics{
		registry: prometheus.NewRegistry(),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "roost_reconcile_duration_seconds",
			Help:    "How long a reconcile pass (load, observe, plan, apply) took.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roost_reconcile_total",
			Help: "Reconcile passes by result: ok, noop, failed, blocked, invalid.",
		}, []string{"result"}),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roost_drift_events_total",
			Help: "Host drift noticed between passes, by kind: link, shim.",
		}, []string{"kind"}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roost_apply_steps_total",
			Help: "Apply steps by action and outcome (done, failed, skipped).",
		}, []string{"action", "outcome"}),
		generation: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "roost_config_generation",
			Help: "Generation of the configuration in force: 1 for the first valid load, then one more per change of content.",
		}),
		valid: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "roost_config_valid",
			Help: "1 if the last load of the configuration directory was valid, 0 if the previous generation stays in force.",
		}),
		info: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "roost_config_info",
			Help: "The configuration in force: its directory and git commit (empty outside a work tree). Always 1.",
		}, []string{"dir", "commit"}),
	}
	m.registry.MustRegister(m.duration, m.passes, m.drift, m.steps, m.generation, m.valid, m.info,
		&hostCollector{s: s}, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// hostCollector reports each unikernel of the data directory as the host
// has it at scrape time.
type hostCollector struct{ s *session }

var (
	descUp       = prometheus.NewDesc("roost_unikernel_up", "1 if the unikernel's tender is running.", []string{"name"}, nil)
	descState    = prometheus.NewDesc("roost_unikernel_state", "The shim's state (starting, running, backoff, exited, failed, stopping, stopped, dead): 1 for the current one.", []string{"name", "state"}, nil)
	descRestarts = prometheus.NewDesc("roost_unikernel_restarts_total", "Tender restarts by the shim since the unikernel was last started by roost.", []string{"name"}, nil)
	descExit     = prometheus.NewDesc("roost_unikernel_last_exit_code", "Exit code of the tender's last exit; -1 if a signal ended it.", []string{"name"}, nil)
	descRSS      = prometheus.NewDesc("roost_unikernel_rss_bytes", "Resident memory of the running tender.", []string{"name"}, nil)
	descCPU      = prometheus.NewDesc("roost_unikernel_cpu_seconds_total", "CPU time of the running tender.", []string{"name"}, nil)
	descUser     = prometheus.NewDesc("roost_unikernel_tender_user_info", "1 for who the unikernel's tender runs as: user is unprivileged (its own uid, no capabilities) or root.", []string{"name", "user", "uid"}, nil)
	descRx       = prometheus.NewDesc("roost_tap_receive_bytes_total", "Bytes received by the host on a unikernel's tap (sent by the unikernel).", []string{"name", "device", "tap"}, nil)
	descTx       = prometheus.NewDesc("roost_tap_transmit_bytes_total", "Bytes transmitted by the host on a unikernel's tap (received by the unikernel).", []string{"name", "device", "tap"}, nil)
)

func (c *hostCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descState, descRestarts, descExit, descRSS, descCPU, descUser, descRx, descTx} {
		ch <- d
	}
}

func (c *hostCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	o, err := c.s.host.Observe(ctx)
	if err != nil {
		return
	}
	for name, ou := range o.Unikernels {
		u := c.s.unikernelStatus(ou)
		up := 0.0
		if u.TenderPID != 0 && u.State == string(plan.StateRunning) {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, name)
		ch <- prometheus.MustNewConstMetric(descState, prometheus.GaugeValue, 1, name, u.State)
		ch <- prometheus.MustNewConstMetric(descRestarts, prometheus.CounterValue, float64(u.Restarts), name)
		if u.TenderUser != "" {
			ch <- prometheus.MustNewConstMetric(descUser, prometheus.GaugeValue, 1, name, u.TenderUser, strconv.Itoa(u.TenderUID))
		}
		if e := u.LastExit; e != nil && !e.Stopped {
			code := -1.0
			if e.Code != nil {
				code = float64(*e.Code)
			}
			ch <- prometheus.MustNewConstMetric(descExit, prometheus.GaugeValue, code, name)
		}
		if u.TenderPID != 0 {
			ch <- prometheus.MustNewConstMetric(descRSS, prometheus.GaugeValue, float64(u.RSSBytes), name)
			ch <- prometheus.MustNewConstMetric(descCPU, prometheus.CounterValue, u.CPUSeconds, name)
		}
		for _, t := range u.Taps {
			ch <- prometheus.MustNewConstMetric(descRx, prometheus.CounterValue, float64(t.RxBytes), name, t.Device, t.Name)
			ch <- prometheus.MustNewConstMetric(descTx, prometheus.CounterValue, float64(t.TxBytes), name, t.Device, t.Name)
		}
	}
}

// observe updates the metrics from a watch event.
func (m *watchMetrics) observe(dir string, e apply.WatchEvent) {
	switch e.Kind {
	case apply.KindPass:
		m.passes.WithLabelValues(string(e.Result)).Inc()
		m.duration.Observe(e.Duration.Seconds())
	case apply.KindInvalid:
		m.valid.Set(0)
	case apply.KindConfig:
		if e.Generation > 0 {
			m.generation.Set(float64(e.Generation))
			m.valid.Set(1)
			m.info.Reset()
			m.info.WithLabelValues(dir, e.Commit).Set(1)
		}
	case apply.KindStep:
		m.steps.WithLabelValues(e.Action.Name(), string(e.Phase)).Inc()
	}
}

// serveMetrics serves the metrics on addr, or on the socket systemd
// handed over; neither is no error.
func serveMetrics(ctx context.Context, addr string, m *watchMetrics, view *views.Watch) error {
	var l net.Listener
	ls, err := platform.SystemdListeners()
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	switch {
	case addr != "":
		l, err = net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	case len(ls) > 0:
		l = ls[0]
	default:
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/metrics", http.StatusFound)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	})
	view.ServingMetrics(l.Addr().String())
	return nil
}
