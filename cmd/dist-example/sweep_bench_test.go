package main

import (
	"context"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/dist-example/dist-example/internal/cputime"
)

// BenchmarkSweepJobs measures a sweep's runs per second with -jobs 1 and -jobs 2, the
// two alternating inside each iteration so that both see the same machine, and reports
// the speed-up (jobs1 time / jobs2 time; the goal on an idle 2-core machine is >= 1.8;
// speedup-best compares the fastest of each, the least disturbed by the neighbours)
// and how the cost per run changes from 16 to 64 runs (it should stay near 1). Wall time
// on a shared machine measures the neighbours too, so it also reports the CPU time per
// run with -jobs 2 over that with -jobs 1 (near 1: the workers share nothing that costs
// CPU) and the CPUs the -jobs 2 sweep kept busy on average (near 2 when the machine
// gives it two; the speed-up cannot exceed it).
//
//	go test -run X -bench SweepJobs -benchtime 5x ./cmd/dist-example
func BenchmarkSweepJobs(b *testing.B) {
	if runtime.NumCPU() < 2 {
		b.Skip("needs 2 CPUs")
	}
	var cpu [3]time.Duration // by jobs
	sweepTime := func(seeds, jobs int) time.Duration {
		c0 := cputime.Process()
		defer func() { cpu[jobs] += cputime.Process() - c0 }()
		args := []string{"sweep", "-seeds", strconv.Itoa(seeds), "-duration", "2m", "-netem", "delay 20ms 5ms loss 5% 25%", "-jobs", strconv.Itoa(jobs)}
		start := time.Now()
		if err := run(context.Background(), args, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var t1, t2, t16, t64 time.Duration
	var c1, c2 time.Duration
	best1, best2 := time.Duration(1<<62), time.Duration(1<<62)
	for range b.N {
		cpu = [3]time.Duration{}
		d1, d2 := sweepTime(32, 1), sweepTime(32, 2)
		t1, t2 = t1+d1, t2+d2
		best1, best2 = min(best1, d1), min(best2, d2)
		c1, c2 = c1+cpu[1], c2+cpu[2]
		t16 += sweepTime(16, 1)
		t64 += sweepTime(64, 1)
	}
	n := float64(b.N)
	b.ReportMetric(32*n/t1.Seconds(), "runs/s-jobs1")
	b.ReportMetric(32*n/t2.Seconds(), "runs/s-jobs2")
	b.ReportMetric(t1.Seconds()/t2.Seconds(), "speedup")
	b.ReportMetric(best1.Seconds()/best2.Seconds(), "speedup-best")
	b.ReportMetric((t64.Seconds()/64)/(t16.Seconds()/16), "cost/run-64:16")
	if c1 > 0 {
		b.ReportMetric(c2.Seconds()/c1.Seconds(), "cpu/run-jobs2:jobs1")
		b.ReportMetric(c2.Seconds()/t2.Seconds(), "cpus-busy-jobs2")
	}
}
