package scenario

import (
	"math"
	"net/netip"
	"testing"

	"pgregory.net/rapid"

	"github.com/dist-example/dist-example/app"
)

// The oracle and app's Accounting are written independently from the same definitions;
// on any sequence of datagrams they must agree, or one of them is wrong.
func TestModelAgreesWithAccounting(t *testing.T) {
	num := rapid.OneOf(
		rapid.Int64Range(0, 300),
		rapid.Int64Range(app.WindowSize-70, app.WindowSize+70),
		rapid.Int64Range(-app.WindowSize-70, -app.WindowSize+70),
		rapid.Int64Range(app.RestartDistance-5, app.RestartDistance+5),
		rapid.SampledFrom([]int64{math.MinInt64, math.MinInt64 + 1, -1, app.MaxJump, app.MaxJump + 1, app.MaxJump + 301, math.MaxInt64}),
		rapid.Int64(),
	)
	rapid.Check(t, func(t *rapid.T) {
		srcs := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.1:2")}
		var a app.Accounting
		var m model
		for range rapid.IntRange(0, 300).Draw(t, "datagrams") {
			src := srcs[rapid.IntRange(0, 1).Draw(t, "src")]
			var payload []byte
			switch rapid.IntRange(0, 9).Draw(t, "kind") {
			case 0:
				payload = []byte(rapid.StringN(0, 4, 25).Draw(t, "junk"))
			default:
				payload = app.AppendNumber(nil, num.Draw(t, "n"))
			}
			a.Observe(src, payload)
			m.observe(src, payload)
		}
		if got, want := a.Finish(), m.finish(); got != want {
			t.Fatalf("app %+v\noracle %+v", got, want)
		}
	})
}
