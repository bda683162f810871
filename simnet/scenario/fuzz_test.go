package scenario

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// FuzzParseFaults: -faults is user input. Whatever the text, ParseFaults returns a
// schedule or an error without panicking; a schedule reads back from its own text, and
// validating it against any duration does not panic either.
func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"", "partition@2s, heal@2.5s", "restart@1s down=500ms start=-7",
		"jump@0s start=9223372036854775807", "restart@2562047h down=2562047h start=0", "heal@1s start=3",
		"partition@1s,,heal@2s", "crash@1s", "jump@1s start=x", " , ", "restart@-1s down=1s start=0"} {
		f.Add(s, int64(10*time.Second))
	}
	f.Add("restart@2562047h down=2562047h start=0", int64(math.MaxInt64)) // At+Down overflows
	f.Fuzz(func(t *testing.T, text string, duration int64) {
		fs, err := ParseFaults(text)
		if err != nil {
			if fs != nil {
				t.Fatalf("ParseFaults(%q) = %v with error %v", text, fs, err)
			}
			return
		}
		again, err := ParseFaults(FormatFaults(fs))
		if err != nil || !reflect.DeepEqual(fs, again) {
			t.Fatalf("ParseFaults(%q) = %v, which reads back from %q as %v (%v)", text, fs, FormatFaults(fs), again, err)
		}
		if err := checkFaults(fs, time.Duration(duration)); err == nil {
			for _, f := range fs {
				// Both are >= 0 (ParseFaults says so), so their sum fits a uint64.
				if f.At < 0 || f.At >= time.Duration(duration) || f.Kind == Restart && uint64(f.At)+uint64(f.Down) > uint64(duration) {
					t.Fatalf("checkFaults accepted %v for a run of %v", f, time.Duration(duration))
				}
			}
		}
	})
}
