package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A flag the flag package rejects gets a line naming the flag, what it accepts and
// where the help is, in every subcommand, never the whole usage.
func TestFlagErrorsAreShort(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"sim", "-duration", "10"}, []string{`-duration "10"`, "a duration with a unit", "see dist-example sim -h"}},
		{[]string{"sim", "-seed", "abc"}, []string{`-seed "abc"`, "a whole number", "see dist-example sim -h"}},
		{[]string{"sim", "-seed", "18446744073709551616"}, []string{`-seed "18446744073709551616": out of range`}},
		{[]string{"sim", "-no-such"}, []string{"unknown flag -no-such", "-duration", "see dist-example sim -h"}},
		{[]string{"sim", "-plot"}, []string{"-plot needs a value", "FILE"}},
		{[]string{"sim", "-check-determinism=maybe"}, []string{"-check-determinism", "true or false"}},
		{[]string{"recv", "-interval", "1"}, []string{`-interval "1"`, "see dist-example recv -h"}},
		{[]string{"send", "-count", "x"}, []string{`-count "x"`, "see dist-example send -h"}},
		{[]string{"ping", "-size", "big"}, []string{`-size "big"`, "see dist-example ping -h"}},
		{[]string{"echo", "-v=2"}, []string{"-v", "true or false", "see dist-example echo -h"}},
		{[]string{"proxy", "-seed", "-1"}, []string{`-seed "-1"`, "see dist-example proxy -h"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runCmd(context.Background(), tc.args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.LessOrEqual(t, strings.Count(errOut, "\n"), 2, errOut)
			assert.NotContains(t, errOut, "Flags:")
			for _, w := range tc.want {
				assert.Contains(t, errOut, w)
			}
		})
	}
}

// Help goes to stdout with exit 0, so "dist-example sim -h | less" works; with no
// subcommand at all the overview is a usage error on stderr.
func TestHelpOnStdout(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"sim", "-h"}, {"sim", "-help"}, {"recv", "--help"}, {"proxy", "-h"}} {
		code, out, errOut := runCmd(context.Background(), args...)
		assert.Equal(t, 0, code, args)
		assert.Empty(t, errOut, args)
		assert.Contains(t, out, "usage: dist-example", args)
	}
	code, out, errOut := runCmd(context.Background())
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "no subcommand given")
}

// ping -h describes (reordered) as the code marks it: the reply that arrived after a
// later probe's reply, not the one that overtook.
func TestPingHelpReordered(t *testing.T) {
	_, out, _ := runCmd(context.Background(), "ping", "-h")
	assert.Contains(t, out, "(reordered) for a reply that arrived after a later probe's reply")
	assert.NotContains(t, out, "overtook")
}
