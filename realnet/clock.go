package realnet

import (
	"github.com/benbjohnson/clock"

	"github.com/dist-example/dist-example/transport"
)

// Clock returns the wall clock, for app code running on real UDP. It is the only place
// outside cmd where the real clock is chosen, so app/ and simnet/ never touch package
// time's globals.
func Clock() transport.Clock { return clock.New() }
