// Package viewer builds sim -html's page: one self-contained HTML file (data, script and
// style inline, no network access) that draws every copy of every datagram of a
// simulated run over virtual time, coloured by its fate, beside the link's queue and the
// receiver's per-interval counts against the ground truth.
//
//	c := viewer.NewCollector(duration, interval)
//	cfg.Observe = c.Observe // scenario.Config or scenario.PingConfig
//	res, err := scenario.Run(cfg)
//	c.Finish()
//	err = viewer.Write(w, viewer.Meta{Seed: cfg.Seed, ...}, c)
//
// The collector follows each link's events: a copy's send-side event (queued, lost,
// limit, partition, down) and its arrival (deliver, noport, hostdown, rcvbuf). It keeps
// MaxCopies copies one by one and counts every copy per bucket, so the page's size is
// bounded whatever the run's length. The same events give the same bytes.
package viewer
