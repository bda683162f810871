package netem

// CONTRACT: the netem helper defines Profile's fields.

// Profile is a validated netem configuration, the value of the text `tc qdisc ... netem`
// takes. The zero Profile impairs nothing.
type Profile struct{}

// Parse reads tc netem text ("delay 50ms 10ms loss 5% duplicate 1% reorder 10%").
// Errors are *ParseError naming the token and the rule.
func Parse(text string) (Profile, error) { panic("TODO") }

// String prints canonical tc text that Parse reads back to the same value.
func (p Profile) String() string { panic("TODO") }

// ParseError names the offending token and the rule it broke.
type ParseError struct {
	Token  string // the token at fault ("" at end of input)
	Pos    int    // its index among the tokens
	Reason string
}

func (e *ParseError) Error() string { return "netem: " + e.Token + ": " + e.Reason }
