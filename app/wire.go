package app

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrMalformed is wrapped by every ParseNumber error: the datagram is not one decimal
// number followed by an optional newline.
var ErrMalformed = errors.New("app: malformed datagram (want a decimal int64 and an optional \"\\n\" or \"\\r\\n\")")

// maxNumberLen is the longest wire form AppendNumber makes: a sign, 19 digits, "\n".
const maxNumberLen = 1 + 19 + 1

// AppendNumber appends the wire form of n, its decimal digits and "\n", to dst.
func AppendNumber(dst []byte, n int64) []byte {
	return append(strconv.AppendInt(dst, n, 10), '\n')
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
