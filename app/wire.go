package app

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
)

// ErrMalformed is wrapped by every ParseNumber error: the datagram is not one decimal
// number followed by an optional newline.
var ErrMalformed = errors.New("app: malformed datagram (want a decimal int64 and an optional \"\\n\" or \"\\r\\n\")")

// maxNumberLen is the longest wire form AppendNumber makes: a sign, 19 digits, "\n".
const maxNumberLen = 1 + 19 + 1

// AppendNumber appends the wire form of n, its decimal digits and "\n", to dst.
// A sender calls it per datagram: a number that is not negative is written straight
// into dst's spare room, two digits at a time, without strconv's scratch array.
func AppendNumber(dst []byte, n int64) []byte {
	if n < 0 {
		return append(strconv.AppendInt(dst, n, 10), '\n')
	}
	u := uint64(n)
	k := decimalLen(u)
	l := len(dst)
	dst = slices.Grow(dst, k+1)[:l+k+1]
	b := dst[l:]
	b[k] = '\n'
	i := k
	for u >= 100 {
		q := u / 100
		r := 2 * (u - 100*q)
		i -= 2
		b[i], b[i+1] = digitPairs[r], digitPairs[r+1]
		u = q
	}
	if u >= 10 {
		b[0], b[1] = digitPairs[2*u], digitPairs[2*u+1]
	} else {
		b[0] = byte('0' + u)
	}
	return dst
}

// digitPairs holds the two digits of each number from 00 to 99.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" + "20212223242526272829" + "30313233343536373839" +
	"40414243444546474849" + "50515253545556575859" + "60616263646566676869" +
	"70717273747576777879" + "80818283848586878889" + "90919293949596979899"

// pow10 holds 10^i for every i that decimalLen looks up.
var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// decimalLen is how many decimal digits u has (1 for 0): floor(log10(u))+1, estimated
// from u's bit length (log10(2) ~ 1233/4096) and corrected by one comparison.
func decimalLen(u uint64) int {
	u |= 1 // 0 has one digit too; no power of ten above 1 is odd
	t := bits.Len64(u) * 1233 >> 12
	if u < pow10[t] {
		return t
	}
	return t + 1
}

// IncNumber turns b, AppendNumber(n) for some n >= 0, into AppendNumber(n+1) in place,
// unless n+1 has one more digit (n is all nines): then it reports false and b is spoilt.
// Counting up by one rewrites only the last digits, cheaper than AppendNumber; the caller
// keeps n below math.MaxInt64.
func IncNumber(b []byte) bool {
	for i := len(b) - 2; i >= 0; i-- { // b[len(b)-1] is the newline
		if b[i] != '9' {
			b[i]++
			return true
		}
		b[i] = '0'
	}
	return false
}

// ParseNumber parses one datagram: an optional sign, decimal digits, then nothing, "\n"
// or "\r\n" (what nc sends when a line is typed). Anything else, including values outside
// int64, is an error wrapping ErrMalformed. It does not allocate on success.
func ParseNumber(b []byte) (int64, error) {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	if len(b) == 0 {
		return 0, ErrMalformed
	}
	neg := false
	switch b[0] {
	case '-':
		neg, b = true, b[1:]
	case '+':
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, ErrMalformed
	}
	if len(b) <= 18 { // at most 999999999999999999: no overflow to check for
		var v int64
		for _, c := range b {
			d := c - '0'
			if d > 9 {
				return 0, ErrMalformed
			}
			v = v*10 + int64(d)
		}
		if neg {
			return -v, nil
		}
		return v, nil
	}
	// Accumulate as a negative number: its range is one larger, so MinInt64 parses.
	var v int64
	const minDiv10 = -9223372036854775808 / 10
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, ErrMalformed
		}
		d := int64(c - '0')
		if v < minDiv10 || v*10 < -9223372036854775808+d {
			return 0, errOverflow
		}
		v = v*10 - d
	}
	if neg {
		return v, nil
	}
	if v == -9223372036854775808 {
		return 0, errOverflow
	}
	return -v, nil
}

var errOverflow = fmt.Errorf("%w: the number is outside the int64 range", ErrMalformed)
