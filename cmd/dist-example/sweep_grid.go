package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxGridProfiles bounds how many profiles a -netem grid expands to, so that a typo such
// as {0..1000000} is refused instead of listed.
const maxGridProfiles = 10_000

// gridProfile is one profile of a sweep's grid.
type gridProfile struct {
	text string  // the expanded netem text, as given (before canonicalisation)
	x    float64 // the swept parameter's value (grid.numeric), else the profile's index
	xs   string  // x as written in the grid (or the index)
	// name is what a chart calls the profile on a categorical x axis: the value of the
	// grid's only group (normal, pareto), else its index.
	name string
}

// grid is a -netem grid expanded: every profile, in order, and what varies along it.
type grid struct {
	profiles []gridProfile
	numeric  bool   // exactly one {...} group varies, over numbers: x is its value
	xLabel   string // what x is: the template with the group written X, or "profile"
	// named: exactly one {...} group varies, over words; its template is nameLabel.
	named     bool
	nameLabel string
}

// parseGrid expands a -netem grid: profiles separated by ';', each may hold groups
// {a,b,c} (a list) or {A..B} / {A..B..STEP} (numbers from A to B inclusive, step 1 or
// STEP, decimals allowed). A profile with several groups expands to every combination,
// the leftmost group varying slowest.
func parseGrid(text string) (*grid, error) {
	g := &grid{}
	parts := strings.Split(text, ";")
	groups := 0
	var onlyGroup []string // the values of the only group, when there is one
	var template string
	for _, part := range parts {
		part = strings.TrimSpace(part)
		pieces, lists, err := splitGroups(part)
		if err != nil {
			return nil, fmt.Errorf("profile %q: %w", part, err)
		}
		groups += len(lists)
		if len(lists) == 1 {
			onlyGroup = lists[0]
			template = pieces[0] + "X" + pieces[1]
		}
		n := 1
		for _, l := range lists {
			n *= len(l)
			if n+len(g.profiles) > maxGridProfiles {
				return nil, fmt.Errorf("the grid expands to more than %d profiles", maxGridProfiles)
			}
		}
		for i := range n {
			var b strings.Builder
			rest := i
			pick := make([]string, len(lists))
			for j := len(lists) - 1; j >= 0; j-- {
				pick[j] = lists[j][rest%len(lists[j])]
				rest /= len(lists[j])
			}
			for j, p := range pieces {
				b.WriteString(p)
				if j < len(pick) {
					b.WriteString(pick[j])
				}
			}
			idx := len(g.profiles)
			g.profiles = append(g.profiles, gridProfile{text: b.String(), x: float64(idx), xs: strconv.Itoa(idx), name: strconv.Itoa(idx)})
		}
	}
	g.xLabel = "profile"
	if len(parts) == 1 && groups == 1 && len(onlyGroup) > 1 {
		xs := make([]float64, len(onlyGroup))
		numeric := true
		for i, v := range onlyGroup {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				numeric = false
				break
			}
			xs[i] = f
		}
		if numeric {
			g.numeric, g.xLabel = true, strings.TrimSpace(template)
			for i := range g.profiles {
				g.profiles[i].x, g.profiles[i].xs = xs[i], onlyGroup[i]
			}
		} else {
			g.named, g.nameLabel = true, strings.TrimSpace(template)
			for i := range g.profiles {
				g.profiles[i].name = strings.TrimSpace(onlyGroup[i])
			}
		}
	}
	return g, nil
}

// splitGroups cuts s into the text between groups and each group's values:
// len(pieces) == len(lists)+1.
func splitGroups(s string) (pieces []string, lists [][]string, err error) {
	for {
		i := strings.IndexAny(s, "{}")
		if i < 0 {
			return append(pieces, s), lists, nil
		}
		if s[i] == '}' {
			return nil, nil, fmt.Errorf("a '}' without its '{'")
		}
		j := strings.IndexAny(s[i+1:], "{}")
		if j < 0 || s[i+1+j] == '{' {
			return nil, nil, fmt.Errorf("a '{' without its '}' (groups do not nest)")
		}
		vals, err := groupValues(s[i+1 : i+1+j])
		if err != nil {
			return nil, nil, err
		}
		pieces = append(pieces, s[:i])
		lists = append(lists, vals)
		s = s[i+1+j+1:]
	}
}

// groupValues expands the inside of one {...} group.
func groupValues(in string) ([]string, error) {
	if strings.Contains(in, "..") {
		return rangeValues(in)
	}
	vals := strings.Split(in, ",")
	for i, v := range vals {
		vals[i] = strings.TrimSpace(v)
		if vals[i] == "" {
			return nil, fmt.Errorf("{%s}: an empty value (want {a,b,c} or {A..B..STEP})", in)
		}
	}
	return vals, nil
}

// rangeValues expands A..B or A..B..STEP, counting in integers scaled to the most
// decimals any of the three has, so that 0.1 steps land on 0.3 exactly.
func rangeValues(in string) ([]string, error) {
	f := strings.Split(in, "..")
	if len(f) < 2 || len(f) > 3 {
		return nil, fmt.Errorf("{%s}: want {A..B} or {A..B..STEP}", in)
	}
	if len(f) == 2 {
		f = append(f, "1")
	}
	dec := 0
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
		if k := strings.IndexByte(f[i], '.'); k >= 0 {
			dec = max(dec, len(f[i])-k-1)
		}
	}
	if dec > 9 {
		return nil, fmt.Errorf("{%s}: at most 9 decimals", in)
	}
	var n [3]int64
	for i, s := range f {
		v, err := scaledDecimal(s, dec)
		if err != nil {
			return nil, fmt.Errorf("{%s}: %q is not a number >= 0 (want {A..B..STEP}, e.g. {0..10..2} or {0.5..2..0.5})", in, s)
		}
		n[i] = v
	}
	a, b, step := n[0], n[1], n[2]
	switch {
	case step <= 0:
		return nil, fmt.Errorf("{%s}: STEP must be > 0", in)
	case b < a:
		return nil, fmt.Errorf("{%s}: B must be >= A", in)
	case (b-a)/step >= maxGridProfiles:
		return nil, fmt.Errorf("{%s}: more than %d values", in, maxGridProfiles)
	}
	var vals []string
	for v := a; v <= b; v += step {
		vals = append(vals, formatScaled(v, dec))
	}
	return vals, nil
}

// scaledDecimal parses a non-negative decimal into an integer scaled by 10^dec.
func scaledDecimal(s string, dec int) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || strings.ContainsAny(whole+frac, "+-eE") {
		return 0, fmt.Errorf("not a decimal")
	}
	frac += strings.Repeat("0", dec-len(frac))
	digits := whole + frac
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || v > math.MaxInt64/4 {
		return 0, fmt.Errorf("not a decimal")
	}
	return v, nil
}

func formatScaled(v int64, dec int) string {
	s := strconv.FormatInt(v, 10)
	if dec == 0 {
		return s
	}
	if len(s) <= dec {
		s = strings.Repeat("0", dec-len(s)+1) + s
	}
	return s[:len(s)-dec] + "." + s[len(s)-dec:]
}
