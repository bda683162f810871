//go:build !unix

package simnet_test

import "time"

// cpuTime is not measured here; the cpu-ns/datagram metric then reads 0.
func cpuTime() time.Duration { return 0 }
