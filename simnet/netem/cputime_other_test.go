//go:build !unix

package netem

import "time"

// cpuTime is not measured here; the cpu-ns/pkt metric then reads 0.
func cpuTime() time.Duration { return 0 }
