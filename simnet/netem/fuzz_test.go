package netem

import (
	"testing"
)

// FuzzParse: Parse never panics, and whatever it accepts is valid, prints canonically
// and parses back to the same Profile. Seeds live in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add("delay 100ms 10ms 25% distribution normal loss 0.3% 25% duplicate 1% corrupt 0.1% reorder 25% 50% gap 5 rate 1mbit limit 1000")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Parse(text)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("Parse(%q) error %T is not *ParseError", text, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse(%q) gave an invalid profile: %v", text, err)
		}
		canon := p.String()
		q, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) -> %q does not parse: %v", text, canon, err)
		}
		if q != p {
			t.Fatalf("Parse(%q) -> %q -> %+v, want %+v", text, canon, q, p)
		}
		if again := q.String(); again != canon {
			t.Fatalf("canonical text not stable: %q then %q", canon, again)
		}
	})
}
