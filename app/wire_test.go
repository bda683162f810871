package app

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{"bare", "123", 123, true},
		{"newline as sent", "123\n", 123, true},
		{"crlf from a terminal", "42\r\n", 42, true},
		{"zero", "0\n", 0, true},
		{"negative", "-5\n", -5, true},
		{"plus sign", "+7", 7, true},
		{"leading zeros", "007\n", 7, true},
		{"max int64", "9223372036854775807\n", math.MaxInt64, true},
		{"min int64", "-9223372036854775808\n", math.MinInt64, true},
		{"2^63 overflows", "9223372036854775808\n", 0, false},
		{"below min overflows", "-9223372036854775809", 0, false},
		{"huge", "99999999999999999999999", 0, false},
		{"empty", "", 0, false},
		{"only newline", "\n", 0, false},
		{"only sign", "-\n", 0, false},
		{"letters", "abc\n", 0, false},
		{"trailing junk", "12x\n", 0, false},
		{"two numbers", "1\n2\n", 0, false},
		{"space", " 1\n", 0, false},
		{"lone cr", "1\r", 0, false},
		{"two newlines", "1\n\n", 0, false},
		{"binary", "\x00\xff", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNumber([]byte(tt.in))
			if !tt.ok {
				require.Error(t, err)
				assert.True(t, errors.Is(err, ErrMalformed), "error %v should wrap ErrMalformed", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAppendNumber(t *testing.T) {
	assert.Equal(t, "0\n", string(AppendNumber(nil, 0)))
	assert.Equal(t, "x-12\n", string(AppendNumber([]byte("x"), -12)))
	assert.Equal(t, "9223372036854775807\n", string(AppendNumber(nil, math.MaxInt64)))
}

// TestAppendNumberAsStrconv compares AppendNumber with strconv at every length and
// digit boundary, and on random numbers, appending to a slice with and without room.
func TestAppendNumberAsStrconv(t *testing.T) {
	check := func(n int64) {
		t.Helper()
		want := strconv.AppendInt([]byte("ab"), n, 10)
		want = append(want, '\n')
		if got := AppendNumber([]byte("ab"), n); string(got) != string(want) {
			t.Fatalf("AppendNumber(%d) = %q, want %q", n, got, want)
		}
		roomy := make([]byte, 1, 64)
		if got := AppendNumber(roomy, n); string(got[1:]) != string(want[2:]) || len(got) != len(want)-1 {
			t.Fatalf("AppendNumber(roomy, %d) = %q, want %q", n, got[1:], want[2:])
		}
	}
	for _, n := range []int64{0, 1, 9, 10, 11, 99, 100, 101, math.MaxInt64, math.MinInt64, -1, -10} {
		check(n)
	}
	for p := int64(1); p <= math.MaxInt64/10; p *= 10 {
		for _, n := range []int64{p - 1, p, p + 1, 10*p - 1, 10 * p, 10*p + 1} {
			check(n)
			check(-n)
		}
	}
	for d := range 64 {
		u := int64(1)<<d - 1
		check(u)
		check(u + 1)
	}
	rapid.Check(t, func(rt *rapid.T) { check(rapid.Int64().Draw(rt, "n")) })
}

// BenchmarkAppendNumber writes the numbers of an hour at 100/s, with strconv (what
// AppendNumber used to be) as the reference in the same run.
func BenchmarkAppendNumber(b *testing.B) {
	for _, c := range []struct {
		name string
		f    func([]byte, int64) []byte
	}{
		{"AppendNumber", AppendNumber},
		{"strconv", func(dst []byte, n int64) []byte { return append(strconv.AppendInt(dst, n, 10), '\n') }},
	} {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, maxNumberLen)
			n := int64(0)
			for b.Loop() {
				buf = c.f(buf[:0], n)
				n = (n + 1) % 360_000
			}
		})
	}
}

// BenchmarkParseNumber reads the numbers of an hour at 100/s as they arrive, with
// strconv.ParseInt on the same digits as the reference in the same run.
func BenchmarkParseNumber(b *testing.B) {
	texts := make([][]byte, 360_000)
	for i := range texts {
		texts[i] = AppendNumber(nil, int64(i))
	}
	b.Run("ParseNumber", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := ParseNumber(texts[i%len(texts)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strconv", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			t := texts[i%len(texts)]
			if _, err := strconv.ParseInt(string(t[:len(t)-1]), 10, 64); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestNumberRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.Int64().Draw(t, "n")
		got, err := ParseNumber(AppendNumber(nil, n))
		if err != nil || got != n {
			t.Fatalf("ParseNumber(AppendNumber(%d)) = %d, %v", n, got, err)
		}
	})
}

func TestParseNumberAllocatesNothing(t *testing.T) {
	b := []byte("-1234567\n")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParseNumber(b); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

// FuzzParseNumber checks ParseNumber against strconv.ParseInt on the same text.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "1\n", "-1\r\n", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "+", "1 ", "\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseNumber(b)
		s := string(b)
		if len(s) > 0 && s[len(s)-1] == '\n' {
			s = s[:len(s)-1]
			if len(s) > 0 && s[len(s)-1] == '\r' {
				s = s[:len(s)-1]
			}
		}
		want, werr := strconv.ParseInt(s, 10, 64)
		if len(s) > 0 && s[0] == '+' && len(s) > 1 && (s[1] == '+' || s[1] == '-') {
			werr = strconv.ErrSyntax // ParseInt rejects these too; keep the check symmetric
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("ParseNumber(%q) err=%v, strconv says %v", b, err, werr)
		}
		if err == nil && got != want {
			t.Fatalf("ParseNumber(%q) = %d, strconv says %d", b, got, want)
		}
	})
}
